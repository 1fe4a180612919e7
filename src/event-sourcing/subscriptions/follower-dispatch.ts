import type { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventRegistry } from '../domain/event-registry.js';
import { withLogContext, type LogFields } from '../observability/log-context.js';
import type { StoredEvent } from '../store/event-store.js';
import type { FollowerBatchHandler, FollowerHandler, FollowerHandlers } from './follower.decorator.js';
import { failureAt } from './follower-retry.js';

/** Hands one event to its handler, if the follower has one for its type. */
export async function dispatch(
  handlers: Map<string, FollowerHandler>,
  envelope: StoredEvent,
  manager: EntityManager,
): Promise<void> {
  const handler = handlers.get(envelope.type);
  if (handler) await handler(EventRegistry.fromRecord(envelope, envelope.position), { envelope, manager });
}

/**
 * Hands a running follower's events to its handlers: a batch to its batch handler, or
 * each event to the handler of its type, with log fields that name the follower and the
 * event (and the request that caused it). A handler's error comes out as a
 * `FollowerFailure` at the event it failed at; a batch handler does not say which, so at
 * the batch's first.
 */
export class FollowerDispatch {
  constructor(
    private readonly name: string,
    private readonly handlers: FollowerHandlers,
    private readonly logger: Logger,
  ) {}

  /** Whether the follower takes whole batches rather than one event at a time. */
  get batched(): boolean {
    return this.handlers.batch !== undefined;
  }

  /** Whether the follower has a handler for this event (a batch handler is not asked). */
  handles(envelope: StoredEvent): boolean {
    return this.handlers.byType.has(envelope.type);
  }

  /** Hands `events` over: the whole batch to the batch handler, or each event to its handler, in order. */
  async all(events: StoredEvent[], manager: EntityManager): Promise<void> {
    const { batch } = this.handlers;
    if (batch) await this.batch(batch, events, manager);
    else for (const event of events) await this.one(event, manager);
  }

  /** Hands one event to its handler, if the follower has one for its type. */
  async one(envelope: StoredEvent, manager: EntityManager): Promise<void> {
    if (!this.handles(envelope)) return;
    await withLogContext(this.fieldsOf(envelope), async () => {
      try {
        await dispatch(this.handlers.byType, envelope, manager);
      } catch (cause) {
        throw failureAt(envelope, cause);
      }
      this.logger.debug(`handled ${envelope.type}`);
    });
  }

  private async batch(handler: FollowerBatchHandler, events: StoredEvent[], manager: EntityManager): Promise<void> {
    try {
      await withLogContext({ follower: this.name, position: events[0].position }, () => handler(events, { manager }));
    } catch (cause) {
      // The batch comes again as a whole: it is stuck at its first event.
      throw failureAt(events[0], cause);
    }
    // A line per event, as a follower with @Handles methods writes, to follow a request through the logs.
    for (const event of events) {
      if (this.handlers.batchTypes?.has(event.type) === false) continue;
      withLogContext(this.fieldsOf(event), () => this.logger.debug(`handled ${event.type}`));
    }
  }

  /** What the handler logs, and the commands it sends log, names the event and its request. */
  private fieldsOf(envelope: StoredEvent): LogFields {
    const { correlationId } = envelope.metadata;
    return {
      follower: this.name,
      position: envelope.position,
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
    };
  }
}
