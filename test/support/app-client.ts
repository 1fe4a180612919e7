import type { EventBody } from './notification-log.js';
import type { AppProcess } from './app-process.js';

/** HTTP against an app running as a child process (test/support/app-process.ts), with fetch. */

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** Generous: a request that hangs this long is a failure of its own. */
  timeoutMs?: number;
}

export async function call<T = unknown>(
  app: AppProcess,
  method: 'GET' | 'POST',
  path: string,
  body?: object,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    // The API takes no state-changing request that is not JSON, those without a body too.
    headers: { ...(method === 'GET' ? {} : { 'Content-Type': 'application/json' }), ...options.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: keep the text, for the failure message.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** A request that must answer `status`; anything else fails the test with what the app said. */
export async function expectStatus<T = unknown>(
  app: AppProcess,
  method: 'GET' | 'POST',
  path: string,
  status: number,
  body?: object,
  options?: CallOptions,
): Promise<Reply<T>> {
  const reply = await call<T>(app, method, path, body, options);
  if (reply.status !== status) {
    throw new Error(
      `${method} ${path} on ${app.name}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`,
    );
  }
  return reply;
}

/** Why a request got no answer at all (the connection was refused or broke), for the record. */
export function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `${(error as Error).message} (${cause?.code ?? cause?.message})`;
}

/** Runs `work` over `items` with at most `size` at a time; results in the order of `items`. */
export async function inPool<T, R>(
  items: T[],
  size: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

/** A small deterministic generator, so that a failing plan can be replayed. */
export function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The notification log after `after`, following `next` to its end. */
export async function readLog(app: AppProcess, after = 0): Promise<EventBody[]> {
  const events: EventBody[] = [];
  for (;;) {
    const page = await expectStatus<{ items: EventBody[]; next: number }>(
      app,
      'GET',
      `/notifications?after=${after}&limit=1000`,
      200,
    );
    events.push(...page.body.items);
    if (page.body.items.length < 1000) return events;
    after = page.body.next;
  }
}

export interface FollowerStatus {
  name: string;
  checkpoint: number;
  lagPositions: number;
  status: string;
  runningHere: boolean;
  rebuildingHere: boolean;
  lastError: unknown;
  updatedAt: string;
}

export async function projections(app: AppProcess): Promise<FollowerStatus[]> {
  return (await expectStatus<{ items: FollowerStatus[] }>(app, 'GET', '/projections', 200)).body.items;
}

// example:start
export interface AccountBody {
  id: string;
  owner: string;
  currency: string;
  balance: number;
  overdraftLimit: number;
  status: 'open' | 'closed';
  version: number;
  openedAt: string;
  updatedAt: string;
}

/** The account list (a view) equals the accounts read from their events, once the view reached `head`. */
export async function expectAccountListEquals(app: AppProcess, accounts: AccountBody[], head: number): Promise<void> {
  const list = await expectStatus<{ items: AccountBody[] }>(
    app,
    'GET',
    `/accounts?limit=1000&minPosition=${head}`,
    200,
  );
  const byId = (a: AccountBody, b: AccountBody) => a.id.localeCompare(b.id);
  expect([...list.body.items].sort(byId)).toEqual([...accounts].sort(byId));
}
// example:end

/** The answer API.md promises while the database cannot serve: 503 problem details with a Retry-After. */
export function expectRetryLater(reply: Reply<unknown>, slug?: 'database-unavailable' | 'database-busy'): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 503, body: { status: 503 } });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(reply.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(reply.body).toMatchObject({
    type: slug ? `urn:chronicle:problem:${slug}` : expect.any(String),
    detail: expect.stringMatching(/\S/),
  });
}
