import type { PoolClient } from 'pg';

/** The table every part of the app reads and appends to. */
export const EVENTS = 'events';

export const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A table name a copy may go into: a plain lower-case PostgreSQL identifier (so it needs
 * no quoting anywhere else either), and not the log itself.
 * @throws RangeError otherwise
 */
export function assertCopyTarget(table: string): void {
  if (!IDENTIFIER.test(table)) {
    throw new RangeError(`"${table}" is not a table name: use lower-case letters, digits and _ (at most 63)`);
  }
  if (table === EVENTS)
    throw new RangeError(`Copy into a new table, not into ${EVENTS} itself; leave out --into to migrate in place`);
}

/** Where the log goes when a copy replaces it: `events_before_<migration>`, kept until you drop it. */
export const retiredEventsTable = (migration: string) =>
  `${EVENTS}_before_${migration.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);

export async function rowCount(client: PoolClient, table: string): Promise<number | undefined> {
  const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (!rows[0].exists) return undefined;
  const { rows: counted } = await client.query(`SELECT count(*)::int AS n FROM ${quote(table)}`);
  return counted[0].n;
}

// The index definition without its name and table, to pair the indexes of two tables shaped alike.
const INDEXES = `
  SELECT c.relname AS name, regexp_replace(pg_get_indexdef(i.indexrelid), ' INDEX \\S+ ON \\S+ ', ' INDEX ON ') AS shape
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = $1::regclass`;

/**
 * Puts `table` (a copy shaped like the log) in the log's place and keeps the log as
 * `retired`; both keep their rows. The index, constraint and sequence names move with
 * the role, so the log always has the names migrations know. The caller holds an
 * ACCESS EXCLUSIVE lock on the log, in the same transaction.
 *
 * Statements prepared on other connections, and the cached plans of `chronicle_append`,
 * name the log by name: PostgreSQL plans them again against the new table.
 */
export async function replaceEventsTable(client: PoolClient, table: string, retired: string): Promise<void> {
  const original: { name: string; shape: string }[] = (await client.query(INDEXES, [EVENTS])).rows;
  const copied: { name: string; shape: string }[] = (await client.query(INDEXES, [table])).rows;
  const sequence = async (of: string): Promise<string> =>
    (await client.query('SELECT pg_get_serial_sequence($1, $2) AS name', [of, 'position'])).rows[0].name;
  const [logSequence, copySequence] = [await sequence(EVENTS), await sequence(table)];

  await client.query(`ALTER TABLE ${EVENTS} RENAME TO ${quote(retired)}`);
  for (const index of original) {
    await client.query(`ALTER INDEX ${quote(index.name)} RENAME TO ${quote(renamed(index.name, retired))}`);
  }
  await client.query(`ALTER SEQUENCE ${logSequence} RENAME TO ${quote(`${retired}_position_seq`.slice(0, 63))}`);

  await client.query(`ALTER TABLE ${quote(table)} RENAME TO ${EVENTS}`);
  for (const index of copied) {
    const counterpart = original.find((o) => o.shape === index.shape);
    if (counterpart) await client.query(`ALTER INDEX ${quote(index.name)} RENAME TO ${quote(counterpart.name)}`);
  }
  await client.query(`ALTER SEQUENCE ${copySequence} RENAME TO ${EVENTS}_position_seq`);
  // Positions were copied as they were: new appends continue after the last one.
  await client.query(`
    SELECT setval(pg_get_serial_sequence('${EVENTS}', 'position'), coalesce(max(position), 1), max(position) IS NOT NULL)
      FROM ${EVENTS}`);
}

/** The name an index of the log takes when the log is renamed to `table`: its `events` prefix becomes the table's name. */
export const renamed = (index: string, table: string) =>
  (index.startsWith(EVENTS) ? `${table}${index.slice(EVENTS.length)}` : `${table}_${index}`).slice(0, 63);
