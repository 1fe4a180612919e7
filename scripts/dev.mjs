// npm run start:dev: the app, rebuilt and restarted on every change to src/ or migrations/.
// `nest start --watch` restarts the whole process, embedded PostgreSQL included, and loads every
// dependency again: seconds per change on a small machine. Here the embedded server starts once
// (when DATABASE_URL is unset), and the next app process waits ready, its dependencies loaded
// (scripts/dev-standby.mjs): a change costs the app's own modules and its bootstrap.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const standbyScript = fileURLToPath(new URL('dev-standby.mjs', import.meta.url));
// swc compiles a save of several files one by one: one restart for the lot.
const SETTLE_MS = 100;
// The next standby loads its dependencies once the app it follows has started, not beside it.
const STANDBY_DELAY_MS = 2_000;

const say = (line) => console.log(`[dev] ${line}`);

/** @type {import('node:child_process').ChildProcess | undefined} */
let app;
/** @type {import('node:child_process').ChildProcess | undefined} */
let standby;
/** @type {{ url: string, stop(): Promise<void> } | undefined} */
let database;
let env = process.env;
let stopping = false;
let restarting = false;
let again = false;
/** @type {NodeJS.Timeout | undefined} */
let settle;
/** @type {NodeJS.Timeout | undefined} */
let nextStandby;

const running = (child) => child !== undefined && child.exitCode === null && child.signalCode === null;

function spawnStandby() {
  clearTimeout(nextStandby);
  standby = spawn(process.execPath, ['--enable-source-maps', standbyScript], {
    cwd: root,
    env,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
}

/** Stops the app (its graceful shutdown: it lets go of its follower leases) and starts the standby in its place. */
async function restart() {
  if (restarting) {
    again = true;
    return;
  }
  restarting = true;
  do {
    again = false;
    if (running(app)) {
      const exited = once(app, 'exit');
      app.kill('SIGTERM');
      await exited;
    }
    if (stopping) break;
    if (!running(standby)) spawnStandby();
    app = standby;
    standby = undefined;
    app.send('start');
    nextStandby = setTimeout(spawnStandby, STANDBY_DELAY_MS);
  } while (again);
  restarting = false;
}

async function firstStart() {
  if (!process.env.DATABASE_URL) {
    // From the build just made: the app's own configuration and embedded server, root's mode-700 home included.
    const { loadConfig } = await import('../dist/src/config/app-config.js');
    const { openDatabaseServer } = await import('../dist/src/database/database-server.js');
    database = await openDatabaseServer(loadConfig(), { info: say, error: (line) => console.error(`[dev] ${line}`) });
    env = { ...process.env, DATABASE_URL: database.url };
  }
  await restart();
}

const watcher = spawn(fileURLToPath(new URL('../node_modules/.bin/nest', import.meta.url)), ['build', '--watch'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
/** @type {Promise<void> | undefined} the first start, from the first build; a change meanwhile restarts after it */
let started;
createInterface({ input: watcher.stdout }).on('line', (line) => console.log(line));
// swc says what it compiled on stderr, errors included.
createInterface({ input: watcher.stderr }).on('line', (line) => {
  console.error(line);
  if (!line.startsWith('Successfully compiled')) return;
  if (!started) {
    started = firstStart();
    started.catch((error) => {
      console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
      void stop(1);
    });
    return;
  }
  clearTimeout(settle);
  settle = setTimeout(() => void started.then(restart, () => undefined), SETTLE_MS);
});
watcher.on('exit', () => void stop(1));

async function stop(code) {
  if (stopping) return;
  stopping = true;
  clearTimeout(settle);
  clearTimeout(nextStandby);
  watcher.kill();
  standby?.kill();
  if (running(app)) {
    const exited = once(app, 'exit');
    app.kill('SIGTERM');
    await exited;
  }
  await database?.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(0));
// Should the launcher die some other way (the embedded server failing for good), nothing it started outlives it.
process.on('exit', () => {
  for (const child of [watcher, standby, app]) if (running(child)) child.kill('SIGKILL');
});
