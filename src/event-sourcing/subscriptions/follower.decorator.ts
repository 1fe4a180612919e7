import 'reflect-metadata';
import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { EventRegistry, type EventClass } from '../domain/event-registry.js';
import type { StoredEvent } from '../store/event-store.js';

export interface FollowerOptions {
  /**
   * true (the default, for projections): handlers write through `context.manager`, in the
   * transaction that also moves the checkpoint, so each event is applied exactly once.
   * false (for process managers): handlers act elsewhere, such as sending commands, and
   * the checkpoint moves after each event; an event can then be handled again after a
   * crash, so every effect must be idempotent (derive command ids from the event's id).
   */
  transactional?: boolean;
  /**
   * The tables of the view this follower keeps, for rebuilds: a rebuild fills fresh
   * copies of them from position 0 and then swaps them in. Handlers must name these
   * tables unqualified (no schema), as TypeORM entities without a schema do.
   */
  tables?: string[];
  /**
   * Non-transactional followers only: how many events they handle at once (1, the default:
   * one at a time, in log order). Above 1, each stream's events are still handled one at a
   * time in log order, but events of different streams side by side, so a process manager
   * whose handlers wait on commands keeps up with many processes at once. Its handlers
   * must not rely on the order of events across streams.
   */
  concurrency?: number;
}

export interface FollowerMetadata {
  name: string;
  transactional: boolean;
  tables: string[];
  concurrency: number;
}

/** What a handler gets besides the event: where it sits in the log, and where to write. */
export interface FollowerContext {
  envelope: StoredEvent;
  /** The batch's transaction (transactional followers), else the app's EntityManager. */
  manager: EntityManager;
}

export type FollowerHandler = (event: object, context: FollowerContext) => Promise<void> | void;

/** One event of a batch given to a {@link HandlesBatches} method that names its event classes. */
export interface BatchEvent<E extends object = object> {
  event: E;
  envelope: StoredEvent;
}

/** What a batch handler gets besides the events: where to write. */
export interface FollowerBatchContext {
  /** The batch's transaction (transactional followers), else the app's EntityManager. */
  manager: EntityManager;
}

/** Takes a whole batch of the log at once, in position order. */
export type FollowerBatchHandler = (events: StoredEvent[], context: FollowerBatchContext) => Promise<void>;

/** How a follower takes the log: event by event ({@link Handles}), or a batch at a time ({@link HandlesBatches}). */
export interface FollowerHandlers {
  /** The {@link Handles} methods by stored event type. */
  byType: Map<string, FollowerHandler>;
  batch?: FollowerBatchHandler;
  /** The event types the batch handler takes; every type when absent. */
  batchTypes?: ReadonlySet<string>;
}

export const FOLLOWER = DiscoveryService.createDecorator<FollowerMetadata>();
const HANDLES = Symbol('chronicle:handles');
const HANDLES_BATCHES = Symbol('chronicle:handles-batches');

/**
 * Makes a provider a durable follower of the log, with a checkpoint stored under `name`
 * (never rename it: a new name starts again from position 0).
 */
export function Follower(name: string, options: FollowerOptions = {}): ClassDecorator {
  const transactional = options.transactional ?? true;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`Follower ${name}: concurrency must be a whole number of at least 1, not ${concurrency}`);
  // One transaction is one connection: its statements cannot run side by side.
  if (transactional && concurrency > 1)
    throw new Error(`Follower ${name}: only a follower with transactional: false handles events concurrently`);
  return FOLLOWER({ name, transactional, tables: options.tables ?? [], concurrency });
}

/** Marks a follower's method as the handler of these event classes. */
export function Handles(...eventClasses: EventClass[]): MethodDecorator {
  return (target, method) => {
    const handlers: Map<string, string | symbol> = Reflect.getMetadata(HANDLES, target) ?? new Map();
    for (const eventClass of eventClasses) handlers.set(EventRegistry.infoOfClass(eventClass).type, method);
    Reflect.defineMetadata(HANDLES, handlers, target);
  };
}

/**
 * Marks a follower's method as the handler of whole batches of the log, in place of
 * {@link Handles} methods, so that it can do in a few statements what would take one per
 * event: a projection that must catch up fast folds the batch in memory and writes each
 * row it touched once.
 *
 * With event classes, the method gets the batch's events of those classes, rebuilt, each
 * with its envelope (`BatchEvent[]`), and is not called for a batch without any. With
 * none, it gets every event of the batch as stored (`StoredEvent[]`), for a relay that
 * passes them on.
 *
 * A transactional follower's method writes through `context.manager`, in the transaction
 * that moves the checkpoint past the batch: all of it applies, or none. When it throws,
 * the follower applies the batch's events again one per transaction, so that it stops
 * right before the failing event. Non-transactional (a relay to a broker): the checkpoint
 * moves past the batch once the method resolves, so after a crash in between the batch
 * comes again, and the other system must drop what it already has.
 */
export function HandlesBatches(...eventClasses: EventClass[]): MethodDecorator {
  const types = eventClasses.map((eventClass) => EventRegistry.infoOfClass(eventClass).type);
  return (target, method) => Reflect.defineMetadata(HANDLES_BATCHES, { method, types }, target);
}

/** The follower's {@link Handles} and {@link HandlesBatches} methods, bound to it. */
export function handlersOf(follower: object): FollowerHandlers {
  const prototype = Object.getPrototypeOf(follower) as object;
  const methods: Map<string, string | symbol> = Reflect.getMetadata(HANDLES, prototype) ?? new Map();
  const batched: { method: string | symbol; types: string[] } | undefined = Reflect.getMetadata(
    HANDLES_BATCHES,
    prototype,
  );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each method takes its own event types
  const method = (name: string | symbol) => (follower as Record<string | symbol, any>)[name].bind(follower);
  const byType = new Map([...methods].map(([type, name]): [string, FollowerHandler] => [type, method(name)]));
  if (!batched) return { byType };
  if (byType.size > 0) throw new Error(`${follower.constructor.name} has both @Handles and @HandlesBatches methods`);
  const batch = method(batched.method);
  if (batched.types.length === 0) return { byType, batch };
  const types = new Set(batched.types);
  return {
    byType,
    batchTypes: types,
    batch: async (envelopes, context) => {
      const events: BatchEvent[] = [];
      for (const envelope of envelopes) {
        if (types.has(envelope.type)) {
          events.push({ event: EventRegistry.fromRecord(envelope, envelope.position), envelope });
        }
      }
      if (events.length > 0) await batch(events, context);
    },
  };
}
