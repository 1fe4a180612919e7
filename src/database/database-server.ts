import type { AppConfig } from '../config/app-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseServer {
  url: string;
  /** Stops the embedded server; does nothing for a server of your own. */
  stop(): Promise<void>;
}

/** The server in DATABASE_URL, or else the embedded one with its data in `.data/postgres`. */
export async function openDatabaseServer(config: AppConfig, log: (line: string) => void): Promise<DatabaseServer> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  log(`DATABASE_URL is not set: starting an embedded PostgreSQL (data in ${config.embeddedPostgres.dataDir})`);
  return startEmbeddedPostgres({ ...config.embeddedPostgres, persistent: true });
}
