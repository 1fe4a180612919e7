import { Injectable } from '@nestjs/common';
import { ReadReplicas } from '#event-sourcing';

/** A stream as the explorer lists it. */
export interface StreamSummary {
  streamId: string;
  streamType: string;
  /** The stream's current version: its number of events. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface StreamTypeCount {
  streamType: string;
  streams: number;
}

export interface StreamSearch {
  /** Only streams of this type. */
  type?: string;
  /** Matched against the stream id: its start (`prefix`) or anywhere in it (`contains`). */
  text: string;
  match: 'prefix' | 'contains';
  /** The last stream id of the previous page. */
  after?: string;
  limit: number;
}

// Every stream has one first event: each row of `first` is a stream, read from the
// events_stream_search index (migrations/1795680000006-stream-index.ts), whose byte
// order ("C") makes an id prefix a range. The stream's last event comes from the
// (stream_id, version) key.
const STREAMS = `
  SELECT first.stream_id, first.stream_type, first.recorded_at AS created_at,
         last.version, last.recorded_at AS updated_at
    FROM events first
   CROSS JOIN LATERAL (
         SELECT e.version, e.recorded_at FROM events e
          WHERE e.stream_id = first.stream_id ORDER BY e.version DESC LIMIT 1) last
   WHERE first.version = 1`;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function toSummary(row: Record<string, unknown>): StreamSummary {
  return {
    streamId: row.stream_id as string,
    streamType: row.stream_type as string,
    version: row.version as number,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

/** The streams of the event store: found by type and id, counted by type. Reads the `events` table only. */
@Injectable()
export class StreamCatalog {
  constructor(private readonly reads: ReadReplicas) {}

  /** The server of the read this runs in: a replica's, when the route's ReadsLog chose one. */
  private get dataSource() {
    return this.reads.dataSource();
  }

  /** How many streams each stream type has: one pass over the index, one entry per stream. */
  async streamTypes(): Promise<StreamTypeCount[]> {
    const rows: { stream_type: string; streams: number }[] = await this.dataSource.query(
      `SELECT stream_type, count(*)::int AS streams FROM events WHERE version = 1
        GROUP BY stream_type ORDER BY stream_type`,
    );
    return rows.map((row) => ({ streamType: row.stream_type, streams: row.streams }));
  }

  /** The newest position stored, including events the log does not show yet (their transaction is younger than an open one). */
  async lastPosition(): Promise<number> {
    const [row] = await this.dataSource.query('SELECT coalesce(max(position), 0) AS position FROM events');
    return Number(row.position);
  }

  /** A page of streams in byte order of their ids, and the id to pass as `after` for the next one (null at the end). */
  async search(search: StreamSearch): Promise<{ items: StreamSummary[]; nextCursor: string | null }> {
    // The pattern is a bind parameter, which PostgreSQL plans with its value: a prefix becomes an index range.
    const pattern = search.match === 'prefix' ? `${escapeLike(search.text)}%` : `%${escapeLike(search.text)}%`;
    const values: unknown[] = [pattern];
    const conditions = [`first.stream_id COLLATE "C" LIKE $1`];
    if (search.type !== undefined) conditions.push(`first.stream_type = $${values.push(search.type)}`);
    if (search.after !== undefined) conditions.push(`first.stream_id COLLATE "C" > $${values.push(search.after)}`);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `${STREAMS} AND ${conditions.join(' AND ')}
        ORDER BY first.stream_id COLLATE "C" LIMIT $${values.push(search.limit + 1)}`,
      values,
    );
    const items = rows.slice(0, search.limit).map(toSummary);
    return { items, nextCursor: rows.length > search.limit ? items[items.length - 1].streamId : null };
  }

  async find(streamId: string): Promise<StreamSummary | undefined> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`${STREAMS} AND first.stream_id = $1`, [
      streamId,
    ]);
    return rows.length === 0 ? undefined : toSummary(rows[0]);
  }
}
