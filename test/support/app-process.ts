import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The repository root: the app runs from `<root>/dist/src/main.js`, as `npm run start:prod` runs it. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** Lines of output kept per child, for the message of a failing test. */
const KEPT_LINES = 300;
/** Nest's line per module and route at start: the same every time, and it would push out what matters. */
const STARTUP_NOISE = /\[(InstanceLoader|RoutesResolver|RouterExplorer)\]/;

/** Every child started here and not yet exited: killed by {@link killAllApps} and, at the latest, on exit. */
const running = new Set<AppProcess>();
process.once('exit', () => {
  for (const app of running) app.child.kill('SIGKILL');
});

/** Runs a command to its end; rejects with its output when it fails or outlasts `timeoutMs`. */
function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}:\n${output}`));
    });
  });
}

/** Marks dist/ as built by this jest run (the workers' parent process), so that test files build once per run. */
const BUILT_BY = join(ROOT, 'dist', '.built-by-test-run');
const BUILD_LOCK = join(ROOT, 'dist.build-lock');

/**
 * `npm run build` (`nest build`): compiles src/ and migrations/ into dist/, once per jest
 * run; test files in parallel workers take turns through a lock directory.
 */
export async function buildApp(timeoutMs = 110_000): Promise<void> {
  const runId = String(process.ppid);
  const built = () => existsSync(BUILT_BY) && readFileSync(BUILT_BY, 'utf8') === runId && existsSync(MAIN);
  for (const deadline = Date.now() + timeoutMs; ; await sleep(200)) {
    if (built()) return;
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than a build can take was left by a killed run.
      if (Date.now() - statSync(BUILD_LOCK).mtimeMs > timeoutMs) rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) {
        throw new Error(`Another test file has been building dist/ for ${timeoutMs} ms`, { cause: error });
      }
    }
  }
  try {
    if (built()) return;
    await run(process.execPath, [join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'], timeoutMs);
    if (!existsSync(MAIN)) throw new Error(`nest build succeeded but ${MAIN} does not exist`);
    writeFileSync(BUILT_BY, runId);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One instance of the app, running as a child process of the test. */
export class AppProcess {
  private readonly lines: string[] = [];
  private partial = { stdout: '', stderr: '' };
  private exitedWith?: Exit;
  /** Resolves when the child has exited, however it ended. */
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedWith = { code, signal };
        running.delete(this);
        this.keep('stdout', '\n');
        this.keep('stderr', '\n');
        this.lines.push(`[${this.name}] exited: ${signal ?? `code ${code}`}`);
        resolve(this.exitedWith);
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.keep('stdout', chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.keep('stderr', chunk.toString()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  /** The last lines the child wrote to stdout and stderr, each prefixed with its name. */
  output(): string {
    return this.lines.join('\n');
  }

  /** Sends `signal` and waits for the child to exit (SIGKILL after `timeoutMs` if it does not). */
  async stop(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<Exit> {
    if (!this.alive) return this.exitedWith!;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private keep(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    for (const line of parts) {
      if (line.trim() !== '' && !STARTUP_NOISE.test(line)) this.lines.push(`[${this.name} ${stream}] ${line}`);
    }
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
  }
}

export interface StartOptions {
  name: string;
  /** Absent: the app starts an embedded PostgreSQL of its own (set EMBEDDED_POSTGRES_DIR and _PORT in `env`). */
  databaseUrl?: string;
  /** More environment for the child, over the defaults below. */
  env?: NodeJS.ProcessEnv;
  /** How long it may take to answer GET /health with 200. */
  readyTimeoutMs?: number;
}

/**
 * Starts `node dist/src/main.js` on a free port with `DATABASE_URL` (if given),
 * `FOLLOWER_POLL_MS=200` and no rate limit, and waits until GET /health answers 200. Fails with the child's
 * output if it exits or does not get ready in time (and kills it then).
 */
export async function startApp(options: StartOptions): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NO_COLOR: '1',
      DATABASE_URL: options.databaseUrl ?? '',
      PORT: String(port),
      FOLLOWER_POLL_MS: '200',
      RATE_LIMIT_PER_MINUTE: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app = new AppProcess(options.name, port, child);
  running.add(app);

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  while (app.alive) {
    try {
      const response = await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return app;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      await app.stop('SIGKILL');
      throw new Error(
        `${options.name} did not answer GET /health with 200 within ${timeoutMs} ms (last: ${last}):\n${app.output()}`,
      );
    }
    await sleep(100);
  }
  throw new Error(`${options.name} exited before it got ready:\n${app.output()}`);
}

/** SIGKILLs every child still running and waits for them to exit: for afterEach/afterAll. */
export async function killAllApps(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop('SIGKILL')));
}

/**
 * Runs `body`; if it throws, adds the output of `apps` to the error's message, so that a
 * failing test shows what the children said.
 */
export async function withAppOutput<T>(apps: () => AppProcess[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const output = apps()
      .map((app) => `--- ${app.name} (pid ${app.pid}, port ${app.port}) ---\n${app.output()}`)
      .join('\n');
    if (error instanceof Error) {
      error.message += `\n\nOutput of the app processes:\n${output}`;
      throw error;
    }
    throw new Error(`${String(error)}\n\nOutput of the app processes:\n${output}`, { cause: error });
  }
}
