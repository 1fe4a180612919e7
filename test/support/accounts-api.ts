import type { Server } from 'node:http';
import request from 'supertest';
import { logThrough, wholeLog, type EventBody } from './notification-log.js';

export type Headers = Record<string, string>;

// The accounts tests import these from here, beside the accounts client.
export { expectProblem, problemType, type ProblemExpectation } from './problems.js';
export type { EventBody } from './notification-log.js';

/** A thin client for the accounts API that asserts nothing but what its name promises. */
export class AccountsApi {
  constructor(readonly http: Server) {}

  /** A POST as a client of the API sends it: `Content-Type: application/json`, with a body or without (`headers` may say otherwise). */
  post(path: string, body?: object, headers: Headers = {}): request.Test {
    const test = request(this.http).post(path).set('Content-Type', 'application/json').set(headers);
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
  wholeLog(): Promise<EventBody[]> {
    return wholeLog(this.http);
  }

  /** The log once it holds the event at `position` (see logThrough in notification-log.ts). */
  logThrough(position: number, timeoutMs?: number): Promise<EventBody[]> {
    return logThrough(this.http, position, timeoutMs);
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
