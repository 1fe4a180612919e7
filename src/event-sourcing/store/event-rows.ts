import type { QueryArrayConfig } from 'pg';
import type { StoredEvent } from './stored-event.js';

/** The columns of an event, by name, in the order of an {@link EventRow}. */
export const EVENT_COLUMNS =
  'position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at';

/**
 * A `timestamptz` column as whole milliseconds since the epoch, a float8 that pg reads as a
 * number: a Date holds milliseconds, and pg's parsing of the text of a timestamp took about a
 * tenth of a 10,000-event load's CPU (docs/PERFORMANCE.md, W3). Rounded down, as pg's parser
 * drops the microseconds.
 */
export const epochMilliseconds = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * What every read selects for an event: {@link EVENT_COLUMNS}, the time as milliseconds. A
 * read that has no use for a column, or knows its value, passes another expression for it
 * (an aggregate's load: `NULL::jsonb` for the metadata, which replaying does not read).
 */
export const selectEvent = ({ streamId = 'stream_id', metadata = 'metadata' } = {}) =>
  `position, event_id, ${streamId}, stream_type, version, type, schema_version, data, ${metadata}, ` +
  `${epochMilliseconds('recorded_at')} AS recorded_at`;

/** Where each of {@link EVENT_COLUMNS} sits in an {@link EventRow}. */
export const COLUMN = {
  position: 0,
  eventId: 1,
  streamId: 2,
  streamType: 3,
  version: 4,
  type: 5,
  schemaVersion: 6,
  data: 7,
  metadata: 8,
  recordedAt: 9,
} as const;

/** The number of {@link EVENT_COLUMNS}; a read may select more after them. */
export const EVENT_COLUMN_COUNT = 10;

/** An event as pg gives it in array row mode: the values of {@link EVENT_COLUMNS} by index. */
export type EventRow = unknown[];

/**
 * A statement whose rows come back as arrays. Long reads are read this way: building an
 * object keyed by column name for every row was a large share of a long stream's load
 * (docs/PERFORMANCE.md, W3).
 */
export const arrayRows = <T extends { text: string }>(statement: T): T & Pick<QueryArrayConfig, 'rowMode'> => ({
  ...statement,
  rowMode: 'array',
});

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row[COLUMN.eventId] as string,
    position: Number(row[COLUMN.position]),
    streamId: row[COLUMN.streamId] as string,
    streamType: row[COLUMN.streamType] as string,
    version: row[COLUMN.version] as number,
    type: row[COLUMN.type] as string,
    schemaVersion: row[COLUMN.schemaVersion] as number,
    data: row[COLUMN.data] as StoredEvent['data'],
    metadata: row[COLUMN.metadata] as StoredEvent['metadata'],
    recordedAt: new Date(row[COLUMN.recordedAt] as number),
  };
}
