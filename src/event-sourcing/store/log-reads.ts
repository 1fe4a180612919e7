import type { Pool } from 'pg';
import { arrayRows, COLUMN, selectEvent, type EventRow } from './event-rows.js';

// How the log is read so that no reader skips an event and none waits for a transaction
// that cannot hold one (docs/ARCHITECTURE.md, "The log"). Named statements are parsed and
// planned once per connection.

// Whatever is committed now, holes and all: which holes are final is decided below.
const READ_AFTER = arrayRows({
  name: 'chronicle_read_after',
  text: `SELECT ${selectEvent()} FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
});
// A statement of its own after the read, so that the probe's answer is about appends that
// took their positions before that read's snapshot (migration 1795680000017).
const FIRST_IN_FLIGHT = {
  name: 'chronicle_first_in_flight',
  text: 'SELECT chronicle_first_in_flight($1, $2) AS held',
};
// The newest event, then the first append in flight: read after that event's snapshot, the
// locks show every append that took a position below it and has not ended.
const READ_HEAD = {
  name: 'chronicle_read_head',
  text: `SELECT least((SELECT position FROM events ORDER BY position DESC LIMIT 1),
                      (SELECT min(first_position) - 1 FROM chronicle_appends_in_flight())) AS head`,
};

const positionOf = (row: EventRow) => Number(row[COLUMN.position]);

/**
 * Up to `limit` events after `after`, in position order, none of them past a position that
 * may still be filled: the events read run without a gap from `after`, or across gaps that
 * are final, because every append that took a position in them has ended. At the first gap
 * an append in flight may still fill, the read stops, whatever is committed beyond it.
 */
export async function readFinal(pool: Pool, after: number, limit: number): Promise<EventRow[]> {
  const read: EventRow[] = [];
  let last = after;
  // Every position up to here is final: each append that took one has ended.
  let final = after;
  let blocked = false;
  for (;;) {
    const { rows } = await pool.query<EventRow>({ ...READ_AFTER, values: [last, limit - read.length] });
    let next: number | undefined;
    for (const row of rows) {
      const position = positionOf(row);
      // A gap before this event, unless every position in it is final.
      if (position > last + 1 && position > final + 1) {
        next = position;
        break;
      }
      read.push(row);
      last = position;
    }
    if (next === undefined || blocked) return read;
    // A gap below a committed event: the appends that took it took their markers before
    // that event's append took its positions, so the probe sees each one still running.
    const { rows: probed } = await pool.query<{ held: string | null }>({ ...FIRST_IN_FLIGHT, values: [last, next] });
    const held = probed[0].held === null ? undefined : Number(probed[0].held);
    if (held === undefined) {
      final = next - 1;
      continue;
    }
    // Positions before the append in flight are final: one more read, with a snapshot
    // taken after the probe, gives what committed there meanwhile, then the read stops.
    if (held - 1 <= last) return read;
    final = held - 1;
    blocked = true;
  }
}

/** The newest position at or below which every event is readable now or never will be (0: none). */
export async function readFinalHead(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ head: string | null }>(READ_HEAD);
  return Number(rows[0].head ?? 0);
}
