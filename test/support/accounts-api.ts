import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';

export type Headers = Record<string, string>;

/** An event as the HTTP API serves it (API.md, "Event"). */
export interface EventBody {
  id: string;
  position: number;
  streamId: string;
  streamType: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface ProblemExpectation {
  /** The exact problem `type`. */
  type?: string;
  /** For 400s: the fields `errors` must name, no more and no fewer. */
  fields?: string[];
}

/** The problem `type` of this API for a slug, e.g. `insufficient-funds`. */
export const problemType = (slug: string) => `urn:chronicle:problem:${slug}`;

/**
 * Asserts an RFC 9457 problem response as API.md describes it. The status is compared
 * together with the body, so a failure shows what the server said.
 */
export function expectProblem(response: request.Response, status: number, expected: ProblemExpectation = {}): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { status } });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(response.body).toEqual(
    expect.objectContaining({
      type: expected.type ?? expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.stringMatching(/\S/),
    }),
  );
  if (expected.fields) {
    const errors = response.body.errors as { field: string; message: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([{ field: expect.any(String), message: expect.stringMatching(/\S/) }]),
    );
    expect([...new Set(errors.map((e) => e.field))].sort()).toEqual([...expected.fields].sort());
  }
}

/** A thin client for the accounts API that asserts nothing but what its name promises. */
export class AccountsApi {
  constructor(readonly http: Server) {}

  post(path: string, body?: object, headers: Headers = {}): request.Test {
    const test = request(this.http).post(path).set(headers);
    return body === undefined ? test : test.send(body);
  }

  /** Opens an account and returns its id (asserting the 201). */
  async open(body: object = { owner: 'Ada Lovelace' }, headers: Headers = {}): Promise<string> {
    const response = await this.post('/accounts', body, headers);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
    return response.body.id as string;
  }

  deposit(id: string, amount: unknown, headers: Headers = {}): request.Test {
    return this.post(`/accounts/${id}/deposits`, { amount }, headers);
  }

  withdraw(id: string, amount: unknown, headers: Headers = {}): request.Test {
    return this.post(`/accounts/${id}/withdrawals`, { amount }, headers);
  }

  close(id: string, headers: Headers = {}): request.Test {
    return this.post(`/accounts/${id}/close`, undefined, headers);
  }

  get(id: string, query: Record<string, string | number> = {}): request.Test {
    return request(this.http).get(`/accounts/${id}`).query(query);
  }

  /** Deposits, asserting the 200. */
  async deposited(id: string, amount: number): Promise<request.Response> {
    const response = await this.deposit(id, amount);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
    return response;
  }

  /** Every event of an account, in version order. */
  async events(id: string): Promise<EventBody[]> {
    const response = await request(this.http).get(`/accounts/${id}/events`).query({ limit: 1000 });
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
    return response.body.items as EventBody[];
  }

  /**
   * Runs a request that must be refused and asserts that the account's stream is
   * exactly as it was before.
   */
  async refusedWithoutEffect(id: string, send: () => PromiseLike<request.Response>): Promise<request.Response> {
    const before = await this.events(id);
    const response = await send();
    expect(await this.events(id)).toEqual(before);
    return response;
  }

  /** The notification log from the start, following `next` until a page comes back empty. */
  async wholeLog(): Promise<EventBody[]> {
    const items: EventBody[] = [];
    for (let after = 0; ;) {
      const response = await request(this.http).get('/notifications').query({ after, limit: 1000 });
      expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
      if (response.body.items.length === 0) return items;
      items.push(...response.body.items);
      after = response.body.next;
    }
  }

  /**
   * The log once it holds the event at `position`. The log only serves events of
   * transactions older than every running one on the server, and test files on other
   * databases of the same server write concurrently, so an acknowledged event may take
   * a moment to show.
   */
  async logThrough(position: number, timeoutMs = 5_000): Promise<EventBody[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.wholeLog();
      if (log.some((e) => e.position === position)) return log;
      if (Date.now() > deadline) throw new Error(`The notification log did not reach position ${position}`);
      await sleep(20);
    }
  }

  /**
   * Everything the log gained while `run` ran. Each side is fenced by an account opened
   * for the purpose: once the log holds it, it holds every event committed before it.
   */
  async logDuring<T>(run: () => PromiseLike<T>): Promise<{ result: T; appended: EventBody[] }> {
    const fence = async () => {
      const response = await this.post('/accounts', { owner: 'log fence' });
      expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
      const log = await this.logThrough(response.body.position as number);
      return { log, position: response.body.position as number };
    };
    const before = await fence();
    const result = await run();
    const after = await fence();
    const appended = after.log.filter((e) => e.position > before.position && e.position < after.position);
    // The log is settled: it neither lost nor changed what it held before.
    expect(after.log.filter((e) => e.position <= before.position)).toEqual(before.log);
    return { result, appended };
  }
}
