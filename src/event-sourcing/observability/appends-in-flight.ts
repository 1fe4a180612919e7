import type { DataSource } from 'typeorm';

// Only an append still in flight holds back the log's readers, and only from the positions
// after its own first one (docs/ARCHITECTURE.md, "The log"); other transactions, here or in
// other databases of the server, hold back nothing. Its lock is readable by any role;
// its transaction's start is readable for the app's own role (the one appends run as).
const OLDEST_APPEND = `
  SELECT coalesce(extract(epoch FROM now() - min(a.xact_start)), 0)::float8 AS seconds
    FROM chronicle_appends_in_flight() i JOIN pg_stat_activity a ON a.pid = i.pid`;

/** Age in seconds of the transaction of the oldest append still in flight in this database (0: none). */
export async function oldestAppendSeconds(dataSource: DataSource): Promise<number> {
  const rows: { seconds: number }[] = await dataSource.query(OLDEST_APPEND);
  return Math.max(0, rows[0].seconds);
}
