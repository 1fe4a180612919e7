import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { freePort } from './database.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Compiled to dist/bench/: the repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run start:prod` (`NAME=value… node <options> dist/src/main.js`): its environment and its node options. */
const START_PROD: { env: Record<string, string>; nodeOptions: string[] } = (() => {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const words = scripts['start:prod'].split(/\s+/);
  const node = words.findIndex((word) => !/^\w+=/.test(word));
  if (words[node] !== 'node') throw new Error(`start:prod does not run node: ${scripts['start:prod']}`);
  const env = Object.fromEntries(words.slice(0, node).map((word) => word.split('=', 2) as [string, string]));
  return { env, nodeOptions: words.slice(node + 1, -1) };
})();

/** The node options of `npm run start:prod`: every app here runs with them. */
export const PRODUCTION_NODE_OPTIONS = START_PROD.nodeOptions;

// GNU time (Debian package `time`), not the shell keyword: -v reports the child's peak RSS from the kernel.
const GNU_TIME = '/usr/bin/time';
export const underGnuTime = existsSync(GNU_TIME);

/** What GNU time said about the app process once it exited. */
export interface TimeReport {
  maxRssBytes: number;
  userSeconds: number;
  systemSeconds: number;
}

export interface RunningApp {
  name: string;
  url: string;
  /** The node process itself (GNU time's child). */
  pid: number;
  /** SIGTERM, as an orchestrator stops it; then GNU time's report, when it ran under GNU time. */
  stop(): Promise<TimeReport | undefined>;
}

/** The pid of `parent`'s child: GNU time forks node, and signals must reach node, not time. */
async function childOf(parent: number): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) return Number(entry);
    }
    await sleep(20);
  }
  throw new Error(`${GNU_TIME} (pid ${parent}) started no process`);
}

function parseTime(text: string): TimeReport {
  const field = (label: string) => {
    const match = new RegExp(`${label}: ([\\d.]+)`).exec(text);
    if (!match) throw new Error(`${GNU_TIME} -v printed no "${label}":\n${text}`);
    return Number(match[1]);
  };
  return {
    maxRssBytes: field('Maximum resident set size \\(kbytes\\)') * 1024,
    userSeconds: field('User time \\(seconds\\)'),
    systemSeconds: field('System time \\(seconds\\)'),
  };
}

/** Signals a process that may have exited already. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

// An app left running would hold the port and its database connections after the benchmark ends.
const running = new Set<number>();
process.once('exit', () => running.forEach((pid) => signal(pid, 'SIGKILL')));

/**
 * Starts `node <start:prod's options> <script>` (under `/usr/bin/time -v` when installed) with only
 * start:prod's environment, `env` and PATH, on a free port (`PORT`), and waits until it answers HTTP.
 * Authentication is off on purpose (`AUTH_DISABLED=true`): the benchmark measures the command path,
 * not token checks. Its output goes to a file, read back only to explain a failed start.
 */
export async function startApp(name: string, script: string, env: Record<string, string>): Promise<RunningApp> {
  const dir = await mkdtemp(join(tmpdir(), 'chronicle-bench-app-'));
  const outputFile = join(dir, 'output.log');
  const timeFile = join(dir, 'time.txt');
  const port = await freePort();
  const output = await open(outputFile, 'w');
  let wrapper: ChildProcess;
  try {
    // BENCH_APP_NODE_ARGS, for profiling the app under a workload: e.g. '--cpu-prof --cpu-prof-dir=/tmp/profiles'
    // (not allowed in NODE_OPTIONS); the profile is written when the app exits (bench/README.md).
    const profiling = process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const node = [process.execPath, ...PRODUCTION_NODE_OPTIONS, ...profiling, script];
    const [command, ...args] = underGnuTime ? [GNU_TIME, '-v', '-o', timeFile, ...node] : node;
    wrapper = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...START_PROD.env, AUTH_DISABLED: 'true', ...env, PORT: String(port) },
      stdio: ['ignore', output.fd, output.fd],
    });
  } finally {
    await output.close();
  }
  const exited = new Promise<void>((resolve) => wrapper.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));

  const pid = underGnuTime ? await childOf(wrapper.pid!) : wrapper.pid!;
  running.add(pid);
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<TimeReport | undefined> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (alive) {
        signal(pid, 'SIGTERM');
        const killer = setTimeout(() => signal(pid, 'SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
      }
      running.delete(pid);
      try {
        return underGnuTime ? parseTime(await readFile(timeFile, 'utf8')) : undefined;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })());

  /** Stops the app and rejects with the end of its output. */
  const fail = async (why: string): Promise<never> => {
    const lines = (await readFile(outputFile, 'utf8')).split('\n').slice(-40).join('\n');
    await stop().catch(() => undefined);
    throw new Error(`${name} ${why}; its output:\n${lines}`);
  };

  // Any answer (a 404 too) means Nest has initialised every module and listens.
  for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
    if (!alive) await fail('exited before it listened');
    const answered = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      async (response) => (await response.arrayBuffer(), true),
      () => false,
    );
    if (answered) return { name, url, pid, stop };
    if (Date.now() > deadline) await fail('did not answer HTTP within 60 s');
  }
}
