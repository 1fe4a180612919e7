import { Logger } from '@nestjs/common';
import pg from 'pg';
import { LOG_CHANNEL } from './log-wakeup.js';

// The advisory lock space of follower leases (the two-key form, apart from the store's locks).
const LEASE_SPACE = 0x43484c46; // "CHLF"

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

/**
 * Which followers this process runs. A lease is a session-level advisory lock on one
 * dedicated connection: held as long as the connection lives, and released by
 * PostgreSQL itself when the process dies, so another instance takes over at its next
 * try. The same connection LISTENs for appends made by other processes.
 *
 * With a lease timeout, the server ends the session of a holder that went silent after
 * that long (see {@link leaseConnectionConfig}), and the holder gives its leases up
 * sooner: every query on the connection must answer within a third of the timeout, and
 * held leases are confirmed that often. So a holder cut off from the database stops
 * before another instance can start, and one whose session the server ended finds out
 * at its next confirmation instead of running on beside the new holder.
 */
export class FollowerLeases {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  private readonly held = new Set<string>();
  // Every follower loop asks for its lease on this one connection: one query at a time.
  private queue: Promise<unknown> = Promise.resolve();
  private heartbeat?: NodeJS.Timeout;
  private readonly connectionOptions: pg.ClientConfig;
  /** How long a query may take and how often held leases are confirmed; 0: no limit, never. */
  private readonly checkEveryMs: number;
  private readonly logger = new Logger('FollowerLeases');
  /** Set once the process has begun to stop: a connection lost from then on is expected. */
  private closing = false;

  /** `poolOptions`: the app pool's connection settings; `timeoutSeconds`: 0 leaves the server's TCP settings. */
  constructor(
    poolOptions: pg.ClientConfig,
    timeoutSeconds: number,
    private readonly onNotification: () => void,
  ) {
    this.checkEveryMs = Math.floor((timeoutSeconds * 1000) / 3);
    this.connectionOptions = {
      ...leaseConnectionConfig(poolOptions, timeoutSeconds),
      ...(this.checkEveryMs > 0 ? { query_timeout: this.checkEveryMs } : {}),
    };
  }

  /** True while this process holds `name`'s lease; tries to take it otherwise. */
  async hold(name: string): Promise<boolean> {
    const client = await this.connection();
    if (this.held.has(name)) return true;
    const { rows } = await this.query<{ taken: boolean }>(
      client,
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken',
      [LEASE_SPACE, name],
    );
    if (rows[0].taken) this.held.add(name);
    return rows[0].taken;
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  /** @throws LeaseLostError unless this process holds `name`'s lease. */
  assertHeld(name: string): void {
    if (!this.held.has(name)) throw new LeaseLostError(name);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name) || !this.client) return;
    await this.query(this.client, 'SELECT pg_advisory_unlock($1, hashtext($2))', [LEASE_SPACE, name]).catch(
      () => undefined,
    );
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
    client.on('notification', () => this.onNotification());
    try {
      await client.connect();
      await client.query(`LISTEN ${LOG_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    if (this.checkEveryMs > 0) {
      this.heartbeat = setInterval(() => {
        if (this.held.size > 0) this.query(client, 'SELECT 1').catch(() => undefined);
      }, this.checkEveryMs).unref();
    }
    return client;
  }
}
