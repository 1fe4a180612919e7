import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { PAYLOAD_BYTES } from './workloads.js';

/** Bulk streams: the log is mostly 10-event streams, each one's events next to each other. */
export const BULK_STREAM_EVENTS = 10;
/** The streams whose events are spread over the log: a 1,000-event one is measured at each step. */
export const SPREAD_STREAM_EVENTS = 1_000;
const SPREAD_STREAMS_PER_STEP = 3;
/** Long streams for the shape of the log only (not measured), spread over the whole planned log. */
const LONG_STREAM_EVENTS = 10_000;
const LONG_STREAMS = 2;
/** Spread events sit on positions of distinct residues modulo this, so no two streams meet. */
const SLOTS = 16;
/** Events per INSERT: a statement short enough to print progress between, long enough to stay cheap. */
const CHUNK = 1_000_000;

const STREAM_TYPE = 'BenchAccount';
// uuidv7-shaped ids that grow with the index, as the app's time-ordered ids do: index
// inserts stay at the right edge, as they do in an app that runs for years.
const BULK_PREFIX = '0190a000-0000-7000-8000-';
const SPREAD_PREFIX = '0190a000-0000-7000-9000-';
const EVENT_PREFIX = '0190b000-0000-7000-8000-';
const NOTE = 'x'.repeat(
  PAYLOAD_BYTES - JSON.stringify({ accountId: randomUUID(), amount: 10_000, currency: 'EUR', note: '' }).length,
);

const hexId = (prefix: string, n: number) => prefix + n.toString(16).padStart(12, '0');

interface SpreadEvent {
  /** 1-based index among the seeded events; its position is this plus the events appended between steps. */
  index: number;
  streamId: string;
  version: number;
}

/** A stream spread evenly over the first `over` seeded events. */
export interface SpreadStream {
  id: string;
  events: number;
  over: number;
}

/**
 * Where every seeded event goes: bulk 10-event streams, plus per measurement step a few
 * 1,000-event streams spread over the log up to that step, and two 10,000-event streams
 * spread over all of it. In a partitioned log the spread streams span every partition.
 */
export class LogLayout {
  readonly spreadStreams: SpreadStream[] = [];
  private readonly spread: SpreadEvent[] = [];

  constructor(
    readonly total: number,
    readonly steps: number[],
  ) {
    const plan = [
      ...steps.flatMap((over) =>
        Array.from({ length: SPREAD_STREAMS_PER_STEP }, () => ({ events: SPREAD_STREAM_EVENTS, over })),
      ),
      ...Array.from({ length: LONG_STREAMS }, () => ({ events: LONG_STREAM_EVENTS, over: total })),
    ];
    if (plan.length > SLOTS) throw new Error(`at most ${SLOTS} spread streams, planned ${plan.length}`);
    plan.forEach(({ events, over }, slot) => {
      if (over / events < SLOTS) {
        throw new Error(`${events} events cannot be spread over ${over}: give --events of at least ${SLOTS * events}`);
      }
      const id = hexId(SPREAD_PREFIX, slot);
      this.spreadStreams.push({ id, events, over });
      for (let version = 1; version <= events; version++) {
        const base = Math.floor(Math.floor(((version - 1) * over) / events) / SLOTS) * SLOTS;
        this.spread.push({ index: base + 1 + slot, streamId: id, version });
      }
    });
    this.spread.sort((a, b) => a.index - b.index);
  }

  /** The spread streams measured at a step: those spread over exactly that many events. */
  measuredAt(step: number): SpreadStream[] {
    return this.spreadStreams.filter((s) => s.over === step && s.events === SPREAD_STREAM_EVENTS);
  }

  /** Bulk streams complete after `seeded` events: the first `count`, evenly picked. */
  bulkStreams(seeded: number, count: number): string[] {
    const bulkSeeded = seeded - this.spread.filter((e) => e.index <= seeded).length;
    const complete = Math.floor(bulkSeeded / BULK_STREAM_EVENTS) - 1;
    return Array.from({ length: count }, (_, n) => hexId(BULK_PREFIX, Math.floor((n * complete) / count)));
  }

  spreadIn(from: number, to: number): SpreadEvent[] {
    return this.spread.filter((e) => e.index >= from && e.index <= to);
  }

  spreadBefore(index: number): number {
    return this.spread.filter((e) => e.index < index).length;
  }
}

// Positions given explicitly so that each chunk knows which ones the spread streams hold;
// the identity sequence is moved past them afterwards. transaction_id is the seeding
// transaction's own: committed, so below every later snapshot's xmin and seen by readLog.
const INSERT_CHUNK = `
  INSERT INTO events (position, event_id, stream_id, stream_type, version, type, schema_version,
                      data, metadata, recorded_at, transaction_id)
  OVERRIDING SYSTEM VALUE
  SELECT p.position, ('${EVENT_PREFIX}' || lpad(to_hex(p.position), 12, '0'))::uuid, p.stream_id, $8,
         p.version, CASE WHEN p.version = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, 1,
         jsonb_build_object('accountId', p.stream_id, 'amount', 10000 + p.position * 7919 % 90000,
                            'currency', 'EUR', 'note', $7::text),
         jsonb_build_object('correlationId', gen_random_uuid(), 'causationId', gen_random_uuid()),
         timestamptz '2026-01-01' + p.position * interval '1 millisecond',
         pg_current_xact_id()
    FROM (SELECT b.position,
                 '${BULK_PREFIX}' || lpad(to_hex(b.k / ${BULK_STREAM_EVENTS}), 12, '0') AS stream_id,
                 (b.k % ${BULK_STREAM_EVENTS} + 1)::integer AS version
            FROM (SELECT n AS position, $3::bigint + row_number() OVER (ORDER BY n) - 1 AS k
                    FROM generate_series($1::bigint, $2::bigint) AS n
                   WHERE NOT EXISTS (SELECT 1 FROM unnest($4::bigint[]) AS s(position) WHERE s.position = n)) AS b
          UNION ALL
          SELECT * FROM unnest($4::bigint[], $5::text[], $6::integer[])
          ORDER BY 1) AS p`;

/**
 * Appends seeded events `from`..`to` (1-based indexes into the layout) after the current
 * head, a million per statement. `beforeChunk` runs first each time (partitions ahead).
 */
export async function seedEvents(
  client: pg.Client,
  layout: LogLayout,
  from: number,
  to: number,
  beforeChunk: (events: number) => Promise<void>,
  log: (line: string) => void,
): Promise<void> {
  for (let start = from; start <= to; start += CHUNK) {
    const end = Math.min(start + CHUNK - 1, to);
    await beforeChunk(end - start + 1);
    const { rows } = await client.query<{ head: string }>('SELECT coalesce(max(position), 0) AS head FROM events');
    const offset = Number(rows[0].head) + 1 - start;
    const spread = layout.spreadIn(start, end);
    const began = performance.now();
    await client.query('BEGIN');
    try {
      await client.query("SET LOCAL work_mem = '256MB'"); // the ORDER BY sorts in memory
      await client.query(INSERT_CHUNK, [
        start + offset,
        end + offset,
        start - 1 - layout.spreadBefore(start),
        spread.map((e) => e.index + offset),
        spread.map((e) => e.streamId),
        spread.map((e) => e.version),
        NOTE,
        STREAM_TYPE,
      ]);
      await client.query(
        "SELECT setval(pg_get_serial_sequence('events', 'position'), (SELECT max(position) FROM events))",
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    log(
      `${end.toLocaleString('en-US')} of ${layout.total.toLocaleString('en-US')} events seeded ` +
        `(${((performance.now() - began) / 1000).toFixed(1)} s for this chunk)`,
    );
  }
}
