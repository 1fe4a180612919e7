import { Logger } from '@nestjs/common';
import pg from 'pg';
import { LOG_CHANNEL } from './log-wakeup.js';

// The advisory lock space of follower leases (the two-key form, apart from the store's locks).
const LEASE_SPACE = 0x43484c46; // "CHLF"

/**
 * Which followers this process runs. A lease is a session-level advisory lock on one
 * dedicated connection: held as long as the connection lives, and released by
 * PostgreSQL itself when the process dies, so another instance takes over at its next
 * try. The same connection LISTENs for appends made by other processes.
 */
export class FollowerLeases {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  private readonly held = new Set<string>();
  // Every follower loop asks for its lease on this one connection: one query at a time.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger = new Logger('FollowerLeases');

  constructor(
    private readonly connectionOptions: pg.ClientConfig,
    private readonly onNotification: () => void,
  ) {}

  /** True while this process holds `name`'s lease; tries to take it otherwise. */
  async hold(name: string): Promise<boolean> {
    const client = await this.connection();
    if (this.held.has(name)) return true;
    const { rows } = await this.serially(() =>
      client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken', [LEASE_SPACE, name]),
    );
    if (rows[0].taken) this.held.add(name);
    return rows[0].taken;
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name) || !this.client) return;
    const client = this.client;
    await this.serially(() => client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEASE_SPACE, name])).catch(
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.held.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private serially<T>(query: () => Promise<T>): Promise<T> {
    const result = this.queue.then(query, query);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ ...this.connectionOptions, application_name: 'chronicle-followers' });
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      // The server dropped our locks with the session: stop claiming them.
      this.logger.warn(`lease connection lost${error ? `: ${error.message}` : ''}; followers pause until it is back`);
      this.client = undefined;
      this.held.clear();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.onNotification());
    await client.connect();
    await client.query(`LISTEN ${LOG_CHANNEL}`);
    this.client = client;
    return client;
  }
}
