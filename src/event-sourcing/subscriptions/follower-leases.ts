import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import type { CheckpointStore } from './checkpoint-store.js';
import {
  BATCH_SPACE,
  END_FORMER_BATCHES,
  LEASE_SPACE,
  MARK_BATCH,
  REGISTER_SESSION,
  RENEW_SESSION,
  SESSIONS_LEFT,
  TAKE_LEASE,
  UNLOCK_LEASE,
  type TakeLeaseRow,
} from './lease-queries.js';
import { LOG_CHANNEL } from './log-wakeup.js';

/** How long an instance waits for a lease session it ended to go, before it tries again at its next turn. */
const ENDED_SESSION_WAIT_MS = 2_000;

/**
 * The lease connection's settings: `base` (the pool's), plus server-side TCP settings
 * that make PostgreSQL end the session, and so free its leases, once the holder has
 * acknowledged nothing for `timeoutSeconds`. A process that exits closes its socket and
 * frees them at once; a host that dies or drops off the network sends nothing, and with
 * the kernel's defaults the server would keep the session (and every lease) for two
 * hours, or about 15 minutes while it has notifications to deliver. 0 leaves the
 * server's settings. They apply to TCP connections, not to Unix sockets.
 */
export function leaseConnectionConfig(base: pg.ClientConfig, timeoutSeconds: number): pg.ClientConfig {
  const config = { ...base, application_name: 'chronicle-followers' };
  if (timeoutSeconds === 0) return config;
  // Probes from half the timeout on; tcp_user_timeout ends it on time where the OS has
  // it (Linux), and the probe count where it does not.
  const idle = Math.ceil(timeoutSeconds / 2);
  const interval = Math.max(1, Math.round(timeoutSeconds / 10));
  const count = Math.max(1, Math.ceil((timeoutSeconds - idle) / interval));
  const tcp =
    `-c tcp_keepalives_idle=${idle} -c tcp_keepalives_interval=${interval} -c tcp_keepalives_count=${count} ` +
    `-c tcp_user_timeout=${timeoutSeconds * 1000}`;
  return { ...config, options: base.options ? `${base.options} ${tcp}` : tcp };
}

/** This process no longer holds the follower's lease: another may be running it, so it must do no more. */
export class LeaseLostError extends Error {
  constructor(readonly follower: string) {
    super(`Follower ${follower}: this process lost its lease`);
  }
}

export interface FollowerLeasesOptions {
  /** The app pool's connection settings. */
  connection: pg.ClientConfig;
  /** How long a holder that renews nothing keeps its leases; 0: for as long as its session lives. */
  timeoutSeconds: number;
  /** Fences a follower's checkpoint for a new holder (answers the lease's token). */
  checkpoints: Pick<CheckpointStore, 'claim'>;
  /** Called for a `NOTIFY` of the log, and when leases may have come free. */
  onNotification: () => void;
}

/**
 * Which followers this process runs. A lease is a session-level advisory lock on one
 * dedicated connection, the lease session: held as long as the session lives, and freed
 * by PostgreSQL itself when the process dies, so another instance takes over at its next
 * try. The same connection LISTENs for appends made by other processes.
 *
 * A process that is stopped (SIGSTOP, a paused container, a debugger, a stalled VM) keeps
 * its session: its kernel still answers. So the session also has a row in
 * `follower_lease_sessions` that expires `timeoutSeconds` after its holder last renewed
 * it (every third of that); an instance that wants a lease ends the sessions whose row
 * has expired, which frees their leases, and takes them. Each take claims a new token
 * for the follower's checkpoint ({@link CheckpointStore.claim}), and the holder's moves
 * carry it, so a holder that resumes after losing its lease has nothing it did since
 * counted: its moves are refused, with the batch written in the same transaction, and
 * the successor ends the batch transactions it left open ({@link markBatch}). The holder
 * itself counts a lease as held only until the timeout has passed since its last renewal.
 *
 * Against a host that dies or drops off the network, the session also asks the server to
 * end it after `timeoutSeconds` without an acknowledgement (see
 * {@link leaseConnectionConfig}), and every query on it must answer within a third of the
 * timeout, else the holder gives its leases up.
 */
export class FollowerLeases {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  /** The leases this process holds, with the token each was taken with. */
  private readonly held = new Map<string, number>();
  // Every follower loop asks for its lease on this one connection: one query at a time.
  private queue: Promise<unknown> = Promise.resolve();
  private heartbeat?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  /** performance.now() until which the leases count as held without another renewal. */
  private validUntil = 0;
  private readonly connectionOptions: pg.ClientConfig;
  private readonly timeoutSeconds: number;
  /** How long a query may take and how often the session is renewed; 0: no limit, never. */
  private readonly checkEveryMs: number;
  private readonly logger = new Logger('FollowerLeases');
  /** Set once the process has begun to stop: a connection lost from then on is expected. */
  private closing = false;

  constructor(private readonly options: FollowerLeasesOptions) {
    this.timeoutSeconds = options.timeoutSeconds;
    this.checkEveryMs = Math.floor((this.timeoutSeconds * 1000) / 3);
    this.connectionOptions = {
      ...leaseConnectionConfig(options.connection, this.timeoutSeconds),
      ...(this.checkEveryMs > 0 ? { query_timeout: this.checkEveryMs } : {}),
    };
  }

  /** The token of `name`'s lease while this process holds it; tries to take it otherwise (undefined: not taken). */
  async hold(name: string): Promise<number | undefined> {
    const client = await this.connection();
    // Stopped past the timeout, this process may have lost its session: renewing it tells.
    if (!this.fresh()) await this.renew(client, name);
    const token = this.held.get(name);
    if (token !== undefined) return token;
    if (!(await this.take(client, name))) return undefined;
    try {
      await this.query(client, END_FORMER_BATCHES, [BATCH_SPACE, name]);
      const claimed = await this.options.checkpoints.claim(name);
      if (this.client !== client) throw new LeaseLostError(name);
      this.held.set(name, claimed);
      return claimed;
    } catch (error) {
      await this.query(client, UNLOCK_LEASE, [LEASE_SPACE, name]).catch(() => undefined);
      throw error;
    }
  }

  isHeld(name: string): boolean {
    return this.held.has(name) && this.fresh();
  }

  /** @throws LeaseLostError unless this process holds `name`'s lease, renewed within the timeout. */
  assertHeld(name: string): void {
    if (!this.isHeld(name)) throw new LeaseLostError(name);
  }

  /**
   * Marks `transaction` as a batch of `name`'s holder, for as long as it runs: should the
   * lease go to another instance meanwhile, that one ends it.
   */
  async markBatch(name: string, transaction: EntityManager): Promise<void> {
    await transaction.query(MARK_BATCH, [BATCH_SPACE, name]);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name) || !this.client) return;
    await this.query(this.client, UNLOCK_LEASE, [LEASE_SPACE, name]).catch(() => undefined);
  }

  /**
   * The process has begun to stop. The database may go down with it before this closes (an
   * embedded server gets the terminal's Ctrl-C too): losing the connection is then no news.
   */
  closingSoon(): void {
    this.closing = true;
  }

  async close(): Promise<void> {
    this.held.clear();
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private fresh(): boolean {
    return performance.now() < this.validUntil;
  }

  /**
   * Takes `name`'s lease if it is free; if it is not, ends the lease sessions past their
   * expiry, waits for them to go and tries once more.
   */
  private async take(client: pg.Client, name: string): Promise<boolean> {
    const { rows } = await this.query<TakeLeaseRow>(client, TAKE_LEASE, [LEASE_SPACE, name]);
    if (rows[0].taken) return true;
    const ended = rows.filter((row) => row.pid !== null);
    if (ended.length === 0) return false;
    for (const { pid, late_seconds } of ended) {
      this.logger.warn(
        `ended lease session ${pid}: it renewed nothing for ${late_seconds} s past its lease timeout ` +
          '(an instance stopped or cut off); its followers move here or to another instance',
      );
    }
    const pids = ended.map((row) => row.pid);
    for (const deadline = performance.now() + ENDED_SESSION_WAIT_MS; performance.now() < deadline; await sleep(20)) {
      const { rows: left } = await this.query<{ left: number }>(client, SESSIONS_LEFT, [pids]);
      if (left[0].left === 0) break;
    }
    // The ended sessions held other leases too: every loop of this process tries now.
    this.options.onNotification();
    const { rows: again } = await this.query<TakeLeaseRow>(client, TAKE_LEASE, [LEASE_SPACE, name]);
    return again[0].taken;
  }

  /** Renews the session's row; once another instance has removed it, the session is being ended: gives up. */
  private renew(client: pg.Client, name = '*'): Promise<void> {
    this.renewing ??= (async () => {
      const sentAt = performance.now();
      const { rowCount } = await this.query(client, RENEW_SESSION, [this.timeoutSeconds]);
      if (rowCount === 0) {
        this.lost(client, new Error('its lease timeout passed and another instance ended it'));
        throw new LeaseLostError(name);
      }
      if (this.client === client) this.validUntil = sentAt + this.timeoutSeconds * 1000;
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Runs one query after the ones before it; a query without an answer in time gives the connection up. */
  private query<R extends pg.QueryResultRow>(
    client: pg.Client,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const run = () =>
      client.query<R>(text, values).catch((error: unknown) => {
        // Not an answer from the server (a read timeout, a broken socket): the session may be gone.
        if (!(error instanceof pg.DatabaseError)) this.lost(client, error as Error);
        throw error;
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    // The server drops our locks with the session, or will: stop claiming them.
    const message = `lease connection lost${error ? `: ${error.message}` : ''}`;
    if (this.closing) this.logger.debug(`${message} while stopping`);
    else this.logger.warn(`${message}; followers pause until it is back`);
    this.client = undefined;
    this.held.clear();
    this.validUntil = 0;
    clearInterval(this.heartbeat);
    // Closing frees the locks at once if the server still hears us; if not, its TCP timeout does.
    client.end().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.connectionOptions);
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', () => this.options.onNotification());
    const sentAt = performance.now();
    try {
      await client.connect();
      await client.query(`LISTEN ${LOG_CHANNEL}`);
      // Without a timeout the session has no row: nobody ends it for being silent.
      if (this.timeoutSeconds > 0) await client.query(REGISTER_SESSION, [this.timeoutSeconds]);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.validUntil = this.timeoutSeconds > 0 ? sentAt + this.timeoutSeconds * 1000 : Infinity;
    if (this.checkEveryMs > 0) {
      this.heartbeat = setInterval(() => this.renew(client).catch(() => undefined), this.checkEveryMs).unref();
    }
    return client;
  }
}
