import type { AppConfig } from '../config/app-config.js';
import { runningEmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseServer {
  url: string;
  /** Stops the embedded server; does nothing for a server of your own. */
  stop(): Promise<void>;
}

const leaveRunning = async () => undefined;

/**
 * The server in DATABASE_URL, or else the embedded one with its data in `.data/postgres`.
 * With `shareRunning` (command-line tools), an embedded server the app already runs is used as it is.
 */
export async function openDatabaseServer(
  config: AppConfig,
  log: (line: string) => void,
  options: { shareRunning?: boolean } = {},
): Promise<DatabaseServer> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: leaveRunning };
  const running = options.shareRunning ? runningEmbeddedPostgres(config.embeddedPostgres) : undefined;
  if (running) return { url: running, stop: leaveRunning };
  log(`DATABASE_URL is not set: starting an embedded PostgreSQL (data in ${config.embeddedPostgres.dataDir})`);
  return startEmbeddedPostgres({ ...config.embeddedPostgres, persistent: true });
}
