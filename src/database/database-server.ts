import type { AppConfig } from '../config/app-config.js';
import {
  runningEmbeddedPostgres,
  startEmbeddedPostgres,
  usableDataDir,
  type EmbeddedDatabase,
} from './embedded-postgres.js';

export interface DatabaseServer {
  url: string;
  /** Stops the embedded server; does nothing for a server of your own. */
  stop(): Promise<void>;
}

/** Where lines about the embedded server go: a pino logger or `console`. */
export interface DatabaseServerLog {
  info(line: string): void;
  error(line: string): void;
}

const leaveRunning = async () => undefined;

// A server killed or crashed is started again, at most this often; one that does not start,
// or keeps dying, ends the process with code 1, for a supervisor to act on.
const RESTARTS_PER_WINDOW = 3;
const RESTART_WINDOW_MS = 60_000;
// The killed postmaster's sessions exit on their own once they see it gone; until then
// they hold its shared memory, and a new server refuses to start.
const RESTART_PAUSE_MS = 1_000;

/**
 * The server in DATABASE_URL, or else the embedded one with its data in `.data/postgres`
 * (elsewhere when root runs it in a folder PostgreSQL's own user cannot enter).
 * With `shareRunning` (command-line tools), an embedded server the app already runs is used as it is.
 */
export async function openDatabaseServer(
  config: AppConfig,
  log: DatabaseServerLog,
  options: { shareRunning?: boolean } = {},
): Promise<DatabaseServer> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: leaveRunning };
  const embedded = { ...config.embeddedPostgres, dataDir: usableDataDir(config.embeddedPostgres.dataDir) };
  const running = options.shareRunning ? runningEmbeddedPostgres(embedded) : undefined;
  if (running) return { url: running, stop: leaveRunning };
  log.info(`DATABASE_URL is not set: starting an embedded PostgreSQL (data in ${embedded.dataDir})`);
  if (embedded.dataDir !== config.embeddedPostgres.dataDir) {
    log.info(
      `running as root in a folder the 'postgres' user cannot enter, so its data is not in ${config.embeddedPostgres.dataDir}; ` +
        `set EMBEDDED_POSTGRES_DIR to choose, or DATABASE_URL to use a server of your own`,
    );
  }
  const server = await startEmbeddedPostgres({ ...embedded, persistent: true });
  restartOnCrash(server, log);
  return server;
}

/** Starts the server again each time it exits on its own, as often as the window allows. */
function restartOnCrash(server: EmbeddedDatabase, log: DatabaseServerLog): void {
  const restarts: number[] = [];
  const restart = async (): Promise<number> => {
    let failure = '';
    for (;;) {
      const now = Date.now();
      while (restarts.length > 0 && restarts[0] <= now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length === RESTARTS_PER_WINDOW) {
        throw new Error(`started ${RESTARTS_PER_WINDOW} times within ${RESTART_WINDOW_MS / 1000} s${failure}`);
      }
      restarts.push(now);
      await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS));
      try {
        return await server.restart();
      } catch (error) {
        failure = `; the last start failed: ${(error as Error).message}`;
        log.error(`restarting the embedded PostgreSQL failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  };
  server.onCrash((how) => {
    log.error(`the embedded PostgreSQL exited unexpectedly (${how}); starting it again`);
    restart().then(
      (pid) => log.info(`the embedded PostgreSQL runs again (pid ${pid})`),
      (error: unknown) => {
        log.error(`the embedded PostgreSQL stays down (${(error as Error).message}); exiting with code 1`);
        process.exit(1);
      },
    );
  });
}
