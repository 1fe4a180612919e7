import { UnreadableEventError } from '../domain/errors.js';
import { EventRegistry, type EventRecord } from '../domain/event-registry.js';

/**
 * A stored event in the current shape of its type: its current name (for a stored
 * alias), the current schema version, and its data run through the upcasters from the
 * stored version up. Both event stores apply it to everything they read, so aggregates,
 * the HTTP endpoints and followers only ever see current shapes.
 *
 * What it cannot convert it returns as stored, apart from the name: a type no class is
 * registered for (the log still serves it, e.g. events of another service's newer code),
 * a version newer than the code's, or an old version no upcaster reads. Turning such an
 * event into an object ({@link EventRegistry.fromRecord}) is then an {@link UnreadableEventError}
 * naming it, so an aggregate load answers 500 and a follower stops at it.
 *
 * Returns the same object when nothing changes; never changes the one it is given.
 * @throws UnreadableEventError when an upcaster throws
 */
export function upcast<E extends EventRecord & { position: number }>(event: E): E {
  const info = EventRegistry.lookup(event.type);
  if (!info) return event;
  const renamed = info.type === event.type ? event : { ...event, type: info.type };
  const upcasters = info.upcasters ?? {};
  if (event.schemaVersion >= info.schemaVersion || !upcasters[event.schemaVersion]) return renamed;
  let data = event.data;
  for (let version = event.schemaVersion; version < info.schemaVersion; version++) {
    try {
      data = upcasters[version](data);
    } catch (error) {
      throw new UnreadableEventError(
        event.position,
        event.type,
        event.schemaVersion,
        `the upcaster of version ${version} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { ...renamed, schemaVersion: info.schemaVersion, data };
}
