import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/** An RFC 9457 problem: the body of every error response of the API. */
export type Problem = components['schemas']['ProblemDetails'];

/** The client: `GET`, `POST`, `DELETE` and the others, typed by path from the API's OpenAPI document. */
export type ChronicleClient = Client<paths>;

export interface ChronicleClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /**
   * A bearer token for APIs with authentication on, or a function that returns the
   * current one (it is called before every request, so it may refresh it).
   */
  token?: string | (() => string | undefined | Promise<string | undefined>);
}

/**
 * A typed client of the Chronicle API at `baseUrl` (such as `https://api.example.com`),
 * built on openapi-fetch: every call answers `{ data }` on success, `{ error }` (a
 * {@link Problem}) otherwise, and `response` for the headers (`ETag`, `Location`,
 * `X-Projection-Position`, `X-Correlation-Id`).
 */
export function createChronicleClient(baseUrl: string, options: ChronicleClientOptions = {}): ChronicleClient {
  const { token, ...rest } = options;
  const client = createClient<paths>({ ...rest, baseUrl });
  client.use(jsonCommands);
  if (token !== undefined) client.use(bearer(token));
  return client;
}

/**
 * The API takes a state-changing request only as `application/json`, a command without a
 * body too (`close`, `erasePersonalData`), where openapi-fetch would send no Content-Type.
 */
const jsonCommands: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && !request.headers.has('Content-Type')) {
      request.headers.set('Content-Type', 'application/json');
    }
    return request;
  },
};

function bearer(token: NonNullable<ChronicleClientOptions['token']>): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === 'function' ? await token() : token;
      if (value) request.headers.set('Authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/** The problem `type` of a slug: `urn:chronicle:problem:insufficient-funds` for `insufficient-funds`. */
export const problemType = (slug: string): string => `urn:chronicle:problem:${slug}`;

/** Whether `value` is a problem document, and of the `slug`'s type when one is given. */
export function isProblem(value: unknown, slug?: string): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const { type, status } = value as Partial<Problem>;
  return typeof type === 'string' && typeof status === 'number' && (slug === undefined || type === problemType(slug));
}

/** A request the API refused, as an Error: for code that would rather throw (see {@link unwrap}). */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly response: Response,
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'ProblemError';
  }
}

/**
 * The data of a call that succeeded; a {@link ProblemError} for one that did not, also when
 * something in front of the API answered with something else than a problem document.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw new ProblemError(
    isProblem(error)
      ? error
      : { type: 'about:blank', title: response.statusText, status: response.status, detail: String(error) },
    response,
  );
}

/** The `If-Match` value that pins a version: `"3"`. */
export const ifMatch = (version: number): string => `"${version}"`;

/** The version a response's `ETag` names (`"3"` is 3), if it has one. */
export function versionOf(response: Response): number | undefined {
  const match = /^"(\d+)"$/.exec(response.headers.get('ETag') ?? '');
  return match ? Number(match[1]) : undefined;
}
