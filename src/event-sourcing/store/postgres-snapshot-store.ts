import type { Pool, QueryResultRow } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import type { PersonalFields } from '../domain/personal-fields.js';
import type { PayloadCodec } from '../serialization/payload-codec.js';
import { SnapshotStore, type Snapshot, type SnapshotQuery } from './snapshot-store.js';

// A snapshot of no known generation is taken for the current one, as before generations
// were kept; one never replaces a snapshot built from a later rewrite of the history.
const SAVE = {
  name: 'chronicle_save_snapshot',
  text: `INSERT INTO snapshots (stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at,
                                generation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, (SELECT generation FROM history_generation)))
         ON CONFLICT (stream_id, version) DO UPDATE
            SET stream_type = excluded.stream_type, schema_version = excluded.schema_version,
                state = excluded.state, first_recorded_at = excluded.first_recorded_at,
                recorded_at = excluded.recorded_at, generation = excluded.generation, created_at = now()
          WHERE snapshots.generation <= excluded.generation`,
};
// The same millisecond cut as the event store's readStream, so a snapshot is usable
// at exactly the instants its event is; and only one built from the history as it is now.
const FIND_LATEST = {
  name: 'chronicle_find_snapshot',
  text: `SELECT stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at
           FROM snapshots
          WHERE stream_id = $1 AND stream_type = $2 AND schema_version = $3 AND version <= $4
            AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
            AND generation = (SELECT generation FROM history_generation)
          ORDER BY version DESC LIMIT 1`,
};

const MAX_VERSION = 2_147_483_647;

function toSnapshot(row: QueryResultRow): Snapshot {
  return {
    streamId: row.stream_id,
    streamType: row.stream_type,
    version: row.version,
    schemaVersion: row.schema_version,
    state: row.state,
    firstRecordedAt: row.first_recorded_at,
    recordedAt: row.recorded_at,
  };
}

// Binds a snapshot's ciphertexts to its stream and version.
const aadOf = (streamId: string, version: number) => `snapshot/${streamId}/${version}`;

/** Snapshots in the `snapshots` table, on the app's connection pool; states encoded like event data when a codec is given. */
export class PostgresSnapshotStore extends SnapshotStore {
  constructor(
    private readonly pool: Pool,
    private readonly codec?: PayloadCodec,
  ) {
    super();
  }

  /** Whether the snapshots are read through this pool, so one statement can read them with the events. */
  isOn(pool: Pool): boolean {
    return pool === this.pool;
  }

  async save(snapshot: Snapshot, personal?: PersonalFields): Promise<void> {
    const [state] = this.codec
      ? await this.codec.encode([
          {
            aad: aadOf(snapshot.streamId, snapshot.version),
            subject: snapshot.streamId,
            personal,
            data: snapshot.state,
          },
        ])
      : [snapshot.state];
    await this.pool.query({
      ...SAVE,
      values: [
        snapshot.streamId,
        snapshot.version,
        snapshot.streamType,
        snapshot.schemaVersion,
        JSON.stringify(state),
        snapshot.firstRecordedAt,
        snapshot.recordedAt,
        snapshot.generation ?? null,
      ],
    });
  }

  async findLatest(streamId: string, query: SnapshotQuery): Promise<Snapshot | undefined> {
    const { rows } = await this.pool.query({
      ...FIND_LATEST,
      values: [
        streamId,
        query.streamType,
        query.schemaVersion,
        query.maxVersion ?? MAX_VERSION,
        query.recordedAtOrBefore ?? 'infinity',
      ],
    });
    return rows.length === 0 ? undefined : this.decode(toSnapshot(rows[0]), query.personal);
  }

  /**
   * A snapshot as stored, its state decoded.
   * @param keys the subject's personal-data key, read with the snapshot (see {@link PayloadCodec.decode})
   */
  async decode(snapshot: Snapshot, personal?: PersonalFields, keys?: SubjectKeys): Promise<Snapshot> {
    if (!this.codec) return snapshot;
    const { streamId, version } = snapshot;
    const [state] = await this.codec.decode(
      [{ aad: aadOf(streamId, version), subject: streamId, personal, data: snapshot.state }],
      keys,
    );
    return { ...snapshot, state };
  }
}
