import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { freePort } from './app-process.js';

/**
 * A PostgreSQL server of a test's own, on a temporary data directory and a free port, that
 * the test may stop and start again (same directory, same port, data kept): for faults
 * that must never touch the shared test server.
 */
export class ThrowawayPostgres {
  private server?: EmbeddedDatabase;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** A data directory and a port for one, not started: for an app that starts its own embedded server. */
  static async reserve(): Promise<ThrowawayPostgres> {
    return new ThrowawayPostgres(await mkdtemp(join(tmpdir(), 'chronicle-fault-postgres-')), await freePort());
  }

  static async start(): Promise<ThrowawayPostgres> {
    const postgres = await ThrowawayPostgres.reserve();
    await postgres.start();
    return postgres;
  }

  /** The URL of its `postgres` database (user and password as embedded-postgres.js sets them). */
  get url(): string {
    return `postgres://postgres:chronicle@127.0.0.1:${this.port}/postgres`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    this.server ??= await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port, persistent: true });
  }

  /** A fast shutdown: open sessions are ended, as when a server restarts. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** The pid of a postmaster running on this data directory (whoever started it), if any. */
  postmasterPid(): number | undefined {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** Stops it if it runs, kills a postmaster someone else left on its directory, and deletes the directory: for afterAll. */
  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    const leftover = this.postmasterPid();
    if (leftover) process.kill(leftover, 'SIGQUIT');
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
