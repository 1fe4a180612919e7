import { createChronicleClient, isProblem } from '@chronicle/client';

/** The API's origin: VITE_API_URL when the app is served or built, else where `npm start` listens. */
export const API_URL: string = import.meta.env.VITE_API_URL ?? 'http://localhost:3000';

// The tab's token: gone when the tab closes, and out of reach of other sites (unlike a cookie).
const TOKEN_KEY = 'chronicle-web-token';
export const token = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (value: string): void =>
    value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * The typed client; it reads the token before every request, so signing in needs no new
 * client. The views change with every event, and the API computes each answer anyway:
 * no revalidation from the browser's cache (an If-None-Match that Express answers with 304
 * after computing the answer all the same).
 */
export const api = createChronicleClient(API_URL, { token: token.get, cache: 'no-store' });

/** The `sub` of a JWT, for the page to show; the API is what checks the token. */
export function subjectOf(jwt: string): string | undefined {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const { sub } = JSON.parse(atob(payload)) as { sub?: unknown };
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** A key for one intended command, sent again unchanged when the command is retried. */
export function newIdempotencyKey(): string {
  // crypto.randomUUID needs a secure context; getRandomValues works on any http:// origin too.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** What to tell the user about a refused request: the problem's detail, or its title. */
export function explain(error: unknown): string {
  if (isProblem(error)) return error.detail ?? error.title;
  return error instanceof Error ? `The API at ${API_URL} did not answer (${error.message})` : String(error);
}

/** Minor units as money: 12550 EUR is €125.50. */
export const money = (minor: number, currency: string): string =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);

/** Money typed in major units (125.50) as minor units (12550). */
export const minorUnits = (typed: string): number => Math.round(Number(typed) * 100);
