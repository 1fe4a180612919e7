import type pg from 'pg';
import type { NewEvent } from '#event-sourcing';
import { LEAN_TABLE } from './database.js';
import { writer, type Contender, type LogReader, type Stream } from './workloads.js';

/** The limit of an event store on this server (issue 21): raw SQL on the lean table. */
export const RAW_LEAN = 'raw (lean)';

/**
 * A column beyond the lean ones (bench/row-cost.ts adds them one at a time) and how an
 * append fills it: a parameter taken from the event, or an SQL expression.
 */
export interface ExtraColumn {
  name: string;
  value: ((event: NewEvent, stream: Stream) => unknown) | { sql: string };
}

const texts = new Map<string, string>();

/**
 * One `INSERT … VALUES (…), (…)` per append, as a hand-written store writes it: the
 * stream id bound once, a row per event with its version, so the primary key
 * (stream_id, version) is the expected-version check. Prepared once per table and size.
 */
export function leanInsert(table: string, extras: ExtraColumn[], stream: Stream, events: NewEvent[]): pg.QueryConfig {
  const name = `${table}_insert_${events.length}`;
  const values: unknown[] = [stream.id];
  let text = texts.get(name);
  const rows: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  events.forEach((event, n) => {
    const cells = [
      '$1',
      param(stream.version + n + 1),
      param(event.type),
      param(JSON.stringify(event.data)),
      ...extras.map(({ value }) => ('sql' in value ? value.sql : param(value(event, stream)))),
    ];
    rows.push(`(${cells.join(', ')})`);
  });
  if (!text) {
    const columns = ['stream_id', 'version', 'type', 'data', ...extras.map((c) => c.name)];
    text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')}`;
    texts.set(name, text);
  }
  return { name, text, values };
}

/** Raw SQL appends to `table` from one pooled connection per writer, each to its own streams. */
export function leanContender(name: string, table: string, extras: ExtraColumn[] = []): Contender {
  return {
    name,
    async open(pool, batch) {
      const client = await pool.connect();
      return writer(
        batch,
        'own',
        (stream, events) => client.query(leanInsert(table, extras, stream, events)),
        () => client.release(),
      );
    },
  };
}

export const rawLean = leanContender(RAW_LEAN, LEAN_TABLE);

const LEAN_READ = {
  name: 'bench_lean_read_log',
  text: `SELECT position, stream_id, version, type, data, created_at
           FROM ${LEAN_TABLE} WHERE position > $1 ORDER BY position LIMIT $2`,
};

export const rawLeanReader: LogReader = {
  name: RAW_LEAN,
  async page(pool, after, limit) {
    const { rows } = await pool.query({ ...LEAN_READ, values: [after, limit] });
    return { count: rows.length, last: Number(rows.at(-1)?.position) };
  },
};
