import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

  /**
   * Sends `signal` to the postmaster and every process it forked (sessions, background
   * workers): SIGSTOP freezes the whole server with its sockets open, as a hung VM or a
   * stalled disk would, and SIGCONT thaws it. Linux only (reads /proc).
   */
  signalCluster(signal: 'SIGSTOP' | 'SIGCONT'): number[] {
    const postmaster = this.postmasterPid();
    if (!postmaster) throw new Error(`no PostgreSQL runs on ${this.dataDir}`);
    // Only a stopped postmaster forks no session the list would miss (or that would exit
    // under it): stopped first, thawed last.
    if (signal === 'SIGSTOP') process.kill(postmaster, signal);
    const children = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // /proc/<pid>/stat: pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    for (const pid of children) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        // A session that ended between the listing and the signal.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    if (signal === 'SIGCONT') process.kill(postmaster, signal);
    return [postmaster, ...children];
  }

  /** Stops it if it runs, kills a postmaster someone else left on its directory, and deletes the directory: for afterAll. */
  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    const leftover = this.postmasterPid();
    if (leftover) process.kill(leftover, 'SIGQUIT');
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
