// What scripts/measure-start.mjs and measure-reload.mjs share: the app run by an npm script
// on ports of its own and a throwaway embedded PostgreSQL, watched through its JSON log.
/* global fetch, AbortSignal -- Node's own */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port nobody listens on. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment of an app on free ports with an embedded PostgreSQL in `dataDir` (none of the caller's DATABASE_URL). */
export async function appEnv(dataDir) {
  const env = { ...process.env, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
  delete env.DATABASE_URL;
  return { ...env, EMBEDDED_POSTGRES_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
}

/** A temporary folder for the embedded server's data, and its removal. */
export function scratchDataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-measure-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `npm run <script>` in a process group of its own, its output kept in `log` (shown if it fails;
 * MEASURE_VERBOSE=1 echoes it as it comes).
 * `listens()` waits for the app's n-th "listening on" line.
 */
export function runScript(script, env) {
  const child = spawn('npm', ['run', script], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  let listened = 0;
  const waiters = [];
  const read = (stream) =>
    createInterface({ input: stream }).on('line', (line) => {
      log.push(line);
      if (process.env.MEASURE_VERBOSE) console.log(line.slice(0, 200));
      if (!line.includes('"msg":"listening on')) return;
      listened += 1;
      for (const waiter of waiters.splice(0)) waiter();
    });
  read(child.stdout);
  read(child.stderr);
  const exited = once(child, 'exit');
  const died = exited.then(() => {
    throw new Error(`npm run ${script} exited\n${log.slice(-30).join('\n')}`);
  });
  died.catch(() => undefined);
  return {
    log,
    /** Rejects, with the end of its output, if it exits before stop(). */
    died,
    /** Resolves once the app has said "listening on" `count` times in all. */
    async listens(count) {
      while (listened < count) await Promise.race([new Promise((resolve) => waiters.push(resolve)), died]);
    },
    /** Ctrl-C, as a person at the terminal stops it. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid, 'SIGINT');
      const timeout = sleep(60_000, undefined, { ref: false }).then(() => process.kill(-child.pid, 'SIGKILL'));
      await Promise.race([exited, timeout]);
    },
  };
}

/** Resolves once GET /health answers 200 on `port`. */
export async function healthy(port) {
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(20);
  }
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
