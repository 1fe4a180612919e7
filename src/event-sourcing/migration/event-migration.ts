import type { StoredEvent } from '../store/event-store.js';

/**
 * A rewrite of stored events, run over the whole log by `npm run events:migrate -- <name>`
 * (see docs/EVOLVING-EVENTS.md). Contexts list theirs in `src/event-migrations.ts`.
 */
export interface EventMigration {
  /** Stable and unique: the command-line argument, and the key of the run's checkpoint. */
  readonly name: string;
  /** One line for the list of known migrations. */
  readonly description: string;
  /**
   * Receives every stored event in position order, its data decoded by the `EventCodec`
   * but not upcast: `type` and `schemaVersion` are the stored ones. Returns the same
   * object to leave the event as it is, or a new one to store instead, in which only
   * `type`, `schemaVersion`, `data` and `metadata` may differ. A pure function of the
   * event: a run that is interrupted and resumed must give the same result as one that is not.
   */
  transform(event: StoredEvent): StoredEvent;
}

const FIXED = ['id', 'position', 'streamId', 'streamType', 'version'] as const;

/**
 * The migration's result for one event, `undefined` when it left the event unchanged.
 * @throws Error when the result changes what identifies the event or orders it
 */
export function transformed(migration: EventMigration, event: StoredEvent): StoredEvent | undefined {
  const result = migration.transform(event);
  if (result === event) return undefined;
  const moved: string[] = FIXED.filter((field) => result[field] !== event[field]);
  if (result.recordedAt.getTime() !== event.recordedAt.getTime()) moved.push('recordedAt');
  if (moved.length > 0) {
    throw new Error(
      `Migration ${migration.name} changed ${moved.join(', ')} of the event at position ${event.position}: ` +
        'only type, schemaVersion, data and metadata may change',
    );
  }
  return result;
}
