import type { DataSource } from 'typeorm';

// What held back the log's readers until they waited for appends in flight only (migration
// 1795680000017; docs/ARCHITECTURE.md, "The log"): still reported, since a long writing
// transaction holds back vacuum, and GET /projections promised the figure.
const OLDEST_TRANSACTION = `
  SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0)::float8 AS seconds
    FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`;

/**
 * Age in seconds of the oldest open transaction on the server that took a transaction id
 * (0: none). Sessions of other roles count only if this one may see them (pg_read_all_stats).
 */
export async function oldestTransactionSeconds(dataSource: DataSource): Promise<number> {
  const rows: { seconds: number }[] = await dataSource.query(OLDEST_TRANSACTION);
  return Math.max(0, rows[0].seconds);
}
