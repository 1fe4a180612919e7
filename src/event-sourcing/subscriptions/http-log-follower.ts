import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventResponse } from '../http/event.response.js';

/** Where a follower stands in the remote log: the position of the last event it has handled. */
export interface FollowerCheckpoint {
  /** The stored position, 0 when the follower has not handled anything yet. */
  load(): Promise<number>;
  save(position: number): Promise<void>;
}

/** What the handler learns about the page besides its events. */
export interface LogPage {
  /** The position the page was read after (the checkpoint before it). */
  after: number;
  /** The position of the page's last event: where the checkpoint goes once it is handled. */
  next: number;
}

/**
 * Handles one page of events, in position order (never empty).
 *
 * - Resolve with nothing: the follower then calls `checkpoint.save(page.next)`. If the
 *   process dies in between, the page is handed over again: the handler must be idempotent.
 * - Resolve with a position: the handler has stored that checkpoint itself, in the same
 *   transaction as its effects (exactly once), e.g. with `StoredCheckpoint.saveIn`;
 *   the follower does not call `save` and carries on after that position. It is normally
 *   `page.next`; a smaller one (not below `page.after`) hands the rest of the page over again.
 */
export type LogPageHandler = (events: EventResponse[], page: LogPage) => Promise<number | void>;

export interface HttpLogFollowerOptions {
  /** The remote Chronicle, e.g. `https://ledger.internal`; `/notifications` is read below it. */
  baseUrl: string;
  /** Names this follower in logs and in its User-Agent. */
  name: string;
  /** Events per request, 1 to 1000 (the API's limit). Default 100. */
  batchSize?: number;
  /** How long to wait for new events once caught up. Default 1000 ms. */
  pollMs?: number;
  /** The first pause after a failed request; it doubles per failure. Default 100 ms. */
  minBackoffMs?: number;
  /** The longest pause between retries. Default 30 s. */
  maxBackoffMs?: number;
  /** A request that has not answered by then counts as failed and is retried. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * The `Authorization` header of each request, when the remote has authentication on: its
   * log is for operators (`Bearer <token>` of a token with the operator role). Called before
   * every request, so that it can hand out a renewed token before the last one expires.
   */
  authorization?: () => string | Promise<string>;
  /** Node's global `fetch` unless given. */
  fetch?: typeof fetch;
}

/** The remote log answered something the follower cannot use: retrying would not help. */
export class RemoteLogError extends Error {}

/** A failure worth trying again: no answer, a timeout, 5xx or 429. */
class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface NotificationPage {
  items: EventResponse[];
  next: number;
}

/**
 * Follows another Chronicle's notification log over HTTP (`GET /notifications?after=&limit=`),
 * for a service that keeps a view of it. It hands over every event in position order and
 * skips none, as the log promises; exactly once when the handler stores the checkpoint
 * with its own effects, at least once otherwise (see {@link LogPageHandler}).
 *
 * `follow` loads the checkpoint once, then loops: read the page after it, hand a non-empty
 * page to the handler, move the checkpoint (see {@link LogPageHandler} for who stores it),
 * and wait `pollMs` after a page shorter than `batchSize` (the follower has caught up).
 * Network errors, timeouts, 5xx and 429 answers are retried with a doubling pause
 * (honouring `Retry-After`) for as long as it takes. It resolves once `signal` aborts,
 * after finishing the page in hand; it rejects, leaving the checkpoint before the page,
 * when the handler or the checkpoint fails or the remote answers a 4xx or a malformed page.
 * Run one follower per checkpoint at a time.
 */
export class HttpLogFollower {
  readonly name: string;
  private readonly url: URL;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly authorization?: () => string | Promise<string>;
  private readonly logger: Logger;

  constructor(options: HttpLogFollowerOptions) {
    this.name = options.name;
    this.url = new URL('notifications', options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 1000) {
      throw new RangeError(`batchSize must be an integer from 1 to 1000, got ${this.batchSize}`);
    }
    this.pollMs = options.pollMs ?? 1_000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.authorization = options.authorization;
    this.logger = new Logger(`HttpLogFollower ${this.name}`);
  }

  /** Follows the log from the checkpoint until `signal` aborts. */
  async follow(handle: LogPageHandler, checkpoint: FollowerCheckpoint, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let after = await checkpoint.load();
    let failures = 0;
    while (!signal.aborted) {
      let page: NotificationPage;
      try {
        page = await this.read(after, signal);
        if (failures > 0) this.logger.log(`reading ${this.url.origin} again`);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof TransientError)) throw error;
        failures++;
        const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(failures - 1, 30));
        const pause = Math.min(this.maxBackoffMs, Math.max(backoff, error.retryAfterMs ?? 0));
        this.logger.warn(`cannot read ${this.url.href}: ${error.message}; retrying in ${pause} ms`);
        await this.wait(pause, signal);
        continue;
      }
      const from = after;
      if (page.items.length > 0) {
        const handled = await handle(page.items, { after, next: page.next });
        if (handled === undefined) {
          await checkpoint.save(page.next);
          after = page.next;
        } else {
          if (!Number.isInteger(handled) || handled < after || handled > page.next) {
            throw new RangeError(`The handler returned position ${handled}, outside the page [${after}, ${page.next}]`);
          }
          after = handled;
        }
      }
      // A short page: caught up. No progress: the handler wants the same page again later.
      if (page.items.length < this.batchSize || after === from) await this.wait(this.pollMs, signal);
    }
  }

  private async read(after: number, signal: AbortSignal): Promise<NotificationPage> {
    const url = new URL(this.url);
    url.searchParams.set('after', String(after));
    url.searchParams.set('limit', String(this.batchSize));
    // One controller per request rather than AbortSignal.any([signal, timeout]), which
    // keeps every request's signal alive as long as the long-lived `signal` on some Node versions.
    const request = new AbortController();
    const stop = () => request.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(
      () => request.abort(new Error(`no answer in ${this.requestTimeoutMs} ms`)),
      this.requestTimeoutMs,
    );
    let body: unknown;
    try {
      const headers: Record<string, string> = {
        Accept: 'application/json',
        'User-Agent': `chronicle-http-log-follower (${this.name})`,
      };
      if (this.authorization) headers.Authorization = await this.authorization();
      const response = await this.fetch(url, { headers, signal: request.signal });
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        throw new TransientError(`HTTP ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
      }
      if (response.status !== 200) {
        const text = await response.text().catch(() => '');
        throw new RemoteLogError(`GET ${url.href} answered ${response.status}: ${text.slice(0, 500)}`);
      }
      body = await response.json().catch((cause: unknown) => {
        // A SyntaxError is a bad body; anything else is the connection failing mid-body.
        if (cause instanceof SyntaxError) throw new RemoteLogError(`GET ${url.href} answered a body that is not JSON`);
        throw cause;
      });
    } catch (error) {
      if (error instanceof TransientError || error instanceof RemoteLogError) throw error;
      // fetch rejects with a TypeError on network failures and with the abort reason on a
      // timeout: worth another try (follow() gives up instead if `signal` aborted).
      const { message, cause } = error as Error;
      throw new TransientError(cause instanceof Error ? `${message}: ${cause.message}` : message);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
    return checkedPage(body, after, this.batchSize, url);
  }

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** The page as API.md promises it; anything else would make the checkpoint lie. */
function checkedPage(body: unknown, after: number, limit: number, url: URL): NotificationPage {
  const page = body as Partial<NotificationPage> | null;
  const fail = (why: string) => new RemoteLogError(`GET ${url.href} answered a malformed page: ${why}`);
  if (!page || !Array.isArray(page.items) || !Number.isSafeInteger(page.next)) throw fail('no items or next');
  if (page.items.length > limit) throw fail(`${page.items.length} items for a limit of ${limit}`);
  let previous = after;
  for (const item of page.items) {
    if (!item || !Number.isSafeInteger(item.position) || item.position <= previous) {
      throw fail(`position ${item?.position} after ${previous}`);
    }
    previous = item.position;
  }
  if (page.next !== previous) throw fail(`next is ${page.next}, the last position ${previous}`);
  return page as NotificationPage;
}
