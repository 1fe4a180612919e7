import { Injectable } from '@nestjs/common';
import { AggregateTypes } from '#event-sourcing';
import type { StreamSummary } from './stream-catalog.js';

/** A stream as the explorer lists it, with the name its aggregate class gives it (null: none). */
export interface NamedStream extends StreamSummary {
  displayName: string | null;
}

/**
 * Names streams through the `displayName` hook of their aggregate class, if it has one, from
 * the latest state loaded as commands load it (cache, snapshot, newer events). The names come
 * decrypted, and an erased subject's personal fields read as erased: the loader reads the
 * subject's key with the events, so an erasure is seen at once, cache or not.
 */
@Injectable()
export class StreamNames {
  constructor(private readonly types: AggregateTypes) {}

  of(streams: StreamSummary[]): Promise<NamedStream[]> {
    return Promise.all(streams.map(async (stream) => ({ ...stream, displayName: await this.nameOf(stream) })));
  }

  private async nameOf({ streamId, streamType }: StreamSummary): Promise<string | null> {
    const repository = this.types.repositoryOf(streamType);
    if (!repository?.aggregateClass.displayName) return null;
    // A stream that cannot be rebuilt must not hide the others: opened, its state shows why.
    const aggregate = await repository.get(streamId).catch(() => undefined);
    return aggregate ? (repository.aggregateClass.displayName(aggregate) ?? null) : null;
  }
}
