import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './app-process.js';

const run = promisify(execFile);

/** The newest PostgreSQL the machine has installed (Debian's layout): its pg_basebackup makes the standby. */
function machineBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest)
    throw new Error(`a streaming replica needs PostgreSQL's binaries under ${root} (apt-get install postgresql)`);
  return join(root, newest, 'bin');
}

/**
 * PostgreSQL refuses to run as root: run as root, the servers run as the 'postgres' system
 * user, who owns their data directories (under the temporary folder, which it can enter).
 */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout);
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout);
  return { uid, gid };
}

/**
 * A primary and a hot standby that streams from it (pg_basebackup -R), each on a data
 * directory of its own in the temporary folder and a free port, from the machine's
 * binaries: a real replica, which the test may stop and start again. Its own primary,
 * not the shared test server, whose pg_hba.conf need not allow replication.
 */
export class StreamingReplica {
  private constructor(
    private readonly dir: string,
    private readonly bin: string,
    private readonly user: { uid: number; gid: number } | undefined,
    readonly primaryPort: number,
    readonly standbyPort: number,
  ) {}

  static async start(): Promise<StreamingReplica> {
    const dir = await mkdtemp(join(tmpdir(), 'chronicle-replica-'));
    const user = await serverUser();
    if (user) await chown(dir, user.uid, user.gid);
    const pair = new StreamingReplica(dir, machineBinaries(), user, await freePort(), await freePort());
    try {
      await pair.make();
    } catch (error) {
      await pair.stop();
      throw error;
    }
    return pair;
  }

  get primaryUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.primaryPort}/postgres`;
  }

  get standbyUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.standbyPort}/postgres`;
  }

  /** The pids of a server's postmaster and of every process it forked (backends, WAL sender or receiver, ...). */
  async processes(server: 'primary' | 'standby'): Promise<number[]> {
    const postmaster = Number((await readFile(join(this.dir, server, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const children: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) children.push(Number(entry));
    }
    return [postmaster, ...children];
  }

  /** Starts the standby again (after {@link stopStandby}); it resumes streaming where it stopped. */
  async startStandby(): Promise<void> {
    await this.pgCtl('standby', this.standbyPort, 'start');
  }

  /** A fast shutdown of the standby: its sessions are ended, as when a replica restarts. */
  async stopStandby(): Promise<void> {
    await this.tool('pg_ctl', ['-D', join(this.dir, 'standby'), '-m', 'fast', '-w', 'stop']);
  }

  /** Stops both servers and deletes their data. */
  async stop(): Promise<void> {
    for (const server of ['standby', 'primary']) {
      if (existsSync(join(this.dir, server, 'postmaster.pid'))) {
        await this.tool('pg_ctl', ['-D', join(this.dir, server), '-m', 'immediate', '-w', 'stop']).catch(
          () => undefined,
        );
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private async make(): Promise<void> {
    const primary = join(this.dir, 'primary');
    await this.tool('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    // Durability buys a throwaway server nothing; the slot keeps the WAL a stopped standby still needs.
    await appendFile(
      join(primary, 'postgresql.conf'),
      `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${this.dir}'\nfsync = off\n` +
        'synchronous_commit = off\nfull_page_writes = off\n',
    );
    await this.pgCtl('primary', this.primaryPort, 'start');
    await this.tool('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(this.primaryPort), '-U', 'postgres'],
      ...['-D', join(this.dir, 'standby'), '-R', '-X', 'stream', '-C', '-S', 'chronicle_test_standby'],
    ]);
    await this.startStandby();
  }

  private async pgCtl(server: string, port: number, action: 'start'): Promise<void> {
    const data = join(this.dir, server);
    await this.tool('pg_ctl', ['-D', data, '-l', join(this.dir, `${server}.log`), '-o', `-p ${port}`, '-w', action]);
  }

  private async tool(name: string, args: string[]): Promise<void> {
    await run(join(this.bin, name), args, { ...this.user, cwd: this.dir });
  }
}
