import { EventStore } from '../store/event-store.js';

/** Who started a stream, and of which type it is. */
export interface StreamOwner {
  streamType: string;
  /** The actor of its first event (the subject who created it); absent when nothing authenticated that command. */
  ownerId?: string;
}

// A stream's first event never changes, so neither does its owner: a cached answer stays true.
const CACHED_OWNERS = 10_000;

/**
 * The owner of a stream: the `actorId` its first event records, which every command sets from
 * the authenticated subject of its request. Answers of streams that exist are cached (LRU).
 */
export class StreamOwners {
  private readonly cache = new Map<string, StreamOwner>();

  constructor(private readonly store: EventStore) {}

  /** Undefined when the stream has no events. */
  async of(streamId: string): Promise<StreamOwner | undefined> {
    const cached = this.cache.get(streamId);
    if (cached) {
      this.cache.delete(streamId);
      this.cache.set(streamId, cached);
      return cached;
    }
    const [first] = await this.store.readStream(streamId, { toVersion: 1 });
    if (!first) return undefined;
    const owner = { streamType: first.streamType, ownerId: first.metadata.actorId };
    this.cache.set(streamId, owner);
    if (this.cache.size > CACHED_OWNERS) this.cache.delete(this.cache.keys().next().value!);
    return owner;
  }
}
