import fc from 'fast-check';
import pg from 'pg';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Fixed so that a run can be repeated; FUZZ_SEED=<n> explores others. fast-check prints it on failure. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);

/**
 * A property's size is its number of requests, not a time: on a loaded machine a few
 * thousand requests took over a minute (jest's 60 s default failed them), so the limit only
 * stops a hang.
 */
export const FUZZ_TIMEOUT_MS = 600_000;

/**
 * How many requests each property sends this run: as planned with `FUZZ_RUNS=all` (CI's
 * second pass of the end-to-end tests), a fifth of that otherwise, so that `npm test` stays
 * the everyday suite. Same seed, same properties: fast-check draws the same cases in the same
 * order whatever the number of runs, so the short run is the start of the long one.
 */
export function runsOf<K extends string>(planned: Record<K, number>): Record<K, number> {
  if (process.env.FUZZ_RUNS === 'all') return planned;
  const entries = Object.entries(planned) as [K, number][];
  return Object.fromEntries(entries.map(([name, runs]) => [name, Math.ceil(runs / 5)])) as Record<K, number>;
}

/** The headers a 400 may name, besides the fields of the body, query and path. */
export const COMMAND_HEADERS = ['If-Match', 'Idempotency-Key', 'X-Correlation-Id'];

export interface Sent {
  method: 'get' | 'post' | 'delete';
  path: string;
  headers?: Record<string, string | undefined>;
  /** Raw text, sent as it is; absent: no body at all. */
  body?: string;
  contentType?: string;
  /** Everything a 400 may blame: the declared fields and every key the request carried. */
  blame: Iterable<string>;
}

/**
 * The rule for every refusal: a problem document whose status is the HTTP status. A 400
 * names what is wrong: `errors` naming only fields or headers the request had or the
 * route declares (invalid-request); a `detail` about the request body when the body
 * could not be read as JSON; a `detail` about the path parameter its encoding broke.
 */
export function expectProblemOf(response: request.Response, blame: Set<string>): void {
  const seen = { status: response.status, type: response.headers['content-type'], body: response.body };
  expect(seen).toMatchObject({
    type: expect.stringMatching(/^application\/problem\+json\b/),
    body: {
      type: expect.stringMatching(/\S/),
      title: expect.stringMatching(/\S/),
      status: response.status,
      detail: expect.stringMatching(/\S/),
    },
  });
  const { type, detail, errors } = response.body as { type: string; detail: string; errors?: { field: string }[] };
  if (response.status === 413) expect(type).toBe('urn:chronicle:problem:body-too-large');
  if (response.status !== 400) return;
  if (type === 'urn:chronicle:problem:invalid-request') {
    expect(errors?.length).toBeGreaterThan(0);
    for (const { field } of errors!) expect({ field, blamable: blame.has(field) }).toEqual({ field, blamable: true });
  } else if (/^urn:chronicle:problem:(malformed-json|unreadable-body)$/.test(type)) {
    expect(detail).toMatch(/request body/);
  } else {
    expect({ type, detail }).toEqual({ type: 'about:blank', detail: expect.stringMatching(/^Failed to decode param/) });
  }
}

/** The app under test, a count of what it sent, and the checks every generated request gets. */
export class Fuzzer {
  sent = 0;
  /** The count after the last request: nothing else appends while a property runs (transfers are waited for, then recounted). */
  private head?: number;

  private constructor(
    readonly app: TestApp,
    private readonly db: pg.Client,
  ) {}

  static async start(): Promise<Fuzzer> {
    const app = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    // Listening once spares supertest a listen and a close per request.
    await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
    const db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
    return new Fuzzer(app, db);
  }

  async close(): Promise<void> {
    await this.db.end();
    await this.app.close();
  }

  /** Rows in the event store: the log's length, committed or not yet visible to readers. */
  async events(): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n;
  }

  /** After something appended in the background on purpose: counts afresh. */
  async recount(): Promise<void> {
    this.head = await this.events();
  }

  /** Sends, then checks: never a 5xx; a refusal is a problem that blames the right thing and appends nothing. */
  async send(sent: Sent): Promise<request.Response> {
    this.head ??= await this.events();
    let test = request(this.app.http)[sent.method](sent.path).timeout(10_000);
    for (const [name, value] of Object.entries(sent.headers ?? {}))
      if (value !== undefined) test = test.set(name, value);
    if (sent.contentType !== undefined) test = test.set('Content-Type', sent.contentType);
    const response = await (sent.body === undefined ? test : test.send(sent.body));
    this.sent++;
    const { status } = response;
    const answered = (status >= 200 && status < 300) || (status >= 400 && status < 500);
    expect({ status, body: response.body, answered }).toMatchObject({ answered: true });
    const before = this.head;
    this.head = await this.events();
    if (response.status >= 400) {
      // A control character is refused before routing, which names the `path` rather than its parameter.
      expectProblemOf(response, new Set([...sent.blame, 'path']));
      expect({ appended: this.head - before }).toEqual({ appended: 0 });
    }
    return response;
  }

  /** fc.assert with the suite's seed. */
  check<T>(numRuns: number, arbitrary: fc.Arbitrary<T>, run: (value: T) => Promise<unknown>): Promise<void> {
    return fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        await run(value);
      }),
      { seed: SEED, numRuns },
    );
  }
}
