import { SnapshotStore, type Snapshot, type SnapshotQuery } from './snapshot-store.js';

const copy = (snapshot: Snapshot): Snapshot => ({
  ...snapshot,
  state: JSON.parse(JSON.stringify(snapshot.state)) as Record<string, unknown>,
  firstRecordedAt: new Date(snapshot.firstRecordedAt),
  recordedAt: new Date(snapshot.recordedAt),
});

/** The snapshot store in memory, for unit tests. Copies in and out, as a database would. */
export class InMemorySnapshotStore extends SnapshotStore {
  private readonly byStream = new Map<string, Map<number, Snapshot>>();

  async save(snapshot: Snapshot): Promise<void> {
    const stream = this.byStream.get(snapshot.streamId) ?? new Map<number, Snapshot>();
    stream.set(snapshot.version, copy(snapshot));
    this.byStream.set(snapshot.streamId, stream);
  }

  async findLatest(streamId: string, query: SnapshotQuery): Promise<Snapshot | undefined> {
    const { maxVersion = Infinity, recordedAtOrBefore } = query;
    const found = [...(this.byStream.get(streamId)?.values() ?? [])]
      .filter(
        (s) =>
          s.streamType === query.streamType &&
          s.schemaVersion === query.schemaVersion &&
          s.version <= maxVersion &&
          (!recordedAtOrBefore || s.recordedAt.getTime() <= recordedAtOrBefore.getTime()),
      )
      .sort((a, b) => b.version - a.version)[0];
    return found && copy(found);
  }

  /** Every stored snapshot of a stream, oldest first (for tests). */
  all(streamId: string): Snapshot[] {
    return [...(this.byStream.get(streamId)?.values() ?? [])].sort((a, b) => a.version - b.version).map(copy);
  }

  /** Changes stored snapshots in place (for tests that age or corrupt them). */
  tamper(streamId: string, change: (snapshot: Snapshot) => void): void {
    for (const snapshot of this.byStream.get(streamId)?.values() ?? []) change(snapshot);
  }
}
