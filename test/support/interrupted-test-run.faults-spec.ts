/**
 * `npm test` interrupted: Ctrl-C reaches the whole process group, servers included; a kill
 * reaches jest alone. Either way jest skips its global teardown, and the run's embedded
 * PostgreSQL servers must neither go on running nor leave their data directories behind
 * (test/support/global-setup.mjs).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './app-process.js';
import { until } from './until.js';

// A spec that runs for seconds, long enough to be interrupted once its servers run.
const SPEC = 'test/event-store/concurrency.int-spec.ts';
const DATA_DIRECTORY = /^chronicle-test-postgres-/;

/** The pids of the servers whose data directories are in `dir`, from their postmaster.pid files. */
async function serverPids(dir: string): Promise<number[]> {
  const names = (await readdir(dir)).filter((name) => DATA_DIRECTORY.test(name));
  const pids = await Promise.all(
    names.map((name) =>
      readFile(join(dir, name, 'postmaster.pid'), 'utf8').then(
        (text) => Number(text.split('\n')[0]),
        () => 0,
      ),
    ),
  );
  return pids.filter((pid) => pid > 0);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(join(tmpdir(), 'chronicle-interrupted-'));
  // Run as root, the servers run as another user, who must reach their data directories.
  await chmod(temp, 0o755);
});
afterEach(() => rm(temp, { recursive: true, force: true }));

it.each([
  ['Ctrl-C', (pid: number) => process.kill(-pid, 'SIGINT')],
  ['SIGTERM to jest alone', (pid: number) => process.kill(pid, 'SIGTERM')],
])('%s leaves no server running and no data directory behind', async (_, interrupt) => {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp, CHRONICLE_TEST_PROJECT: 'integration' };
  // The run starts servers of its own, as `npm test` does without a server of the user's.
  for (const name of ['DATABASE_URL', 'CHRONICLE_TEST_ADMIN_URLS', 'CHRONICLE_TEST_TEMPLATE', 'JEST_WORKER_ID'])
    delete env[name];
  const jest = spawn(
    process.execPath,
    ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', 'node_modules/jest/bin/jest.js', SPEC],
    { cwd: ROOT, env, detached: true, stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => jest.once('exit', (code) => resolve(code)));
  const pids = await until(
    () => serverPids(temp),
    (found) => found.length > 0 && found.every(running),
    'the interrupted run to start its servers',
  );

  interrupt(jest.pid!);

  expect(await exited).not.toBe(0);
  await until(
    async () => pids.filter(running),
    (left) => left.length === 0,
    'the servers to stop',
  );
  expect((await readdir(temp)).filter((name) => DATA_DIRECTORY.test(name))).toEqual([]);
});
