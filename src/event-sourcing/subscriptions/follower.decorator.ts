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
}

export interface FollowerMetadata {
  name: string;
  transactional: boolean;
  tables: string[];
}

/** What a handler gets besides the event: where it sits in the log, and where to write. */
export interface FollowerContext {
  envelope: StoredEvent;
  /** The batch's transaction (transactional followers), else the app's EntityManager. */
  manager: EntityManager;
}

export type FollowerHandler = (event: object, context: FollowerContext) => Promise<void> | void;

/** Takes a whole batch of the log at once: every event, whatever its type, in position order. */
export type FollowerBatchHandler = (events: StoredEvent[]) => Promise<void>;

export const FOLLOWER = DiscoveryService.createDecorator<FollowerMetadata>();
const HANDLES = Symbol('chronicle:handles');
const HANDLES_BATCHES = Symbol('chronicle:handles-batches');

/**
 * Makes a provider a durable follower of the log, with a checkpoint stored under `name`
 * (never rename it: a new name starts again from position 0).
 */
export const Follower = (name: string, options: FollowerOptions = {}): ClassDecorator =>
  FOLLOWER({ name, transactional: options.transactional ?? true, tables: options.tables ?? [] });

/** Marks a follower's method as the handler of these event classes. */
export function Handles(...eventClasses: EventClass[]): MethodDecorator {
  return (target, method) => {
    const handlers: Map<string, string | symbol> = Reflect.getMetadata(HANDLES, target) ?? new Map();
    for (const eventClass of eventClasses) handlers.set(EventRegistry.infoOfClass(eventClass).type, method);
    Reflect.defineMetadata(HANDLES, handlers, target);
  };
}

/**
 * Marks a follower's method as the handler of whole batches of the log, every event type
 * included, for a follower that passes events on to another system (a relay to a
 * broker), which it can then do concurrently. Only with `transactional: false`: the
 * checkpoint moves past the batch once the handler resolves, so after a crash in between
 * the batch comes again, and the other system must drop what it already has.
 */
export function HandlesBatches(): MethodDecorator {
  return (target, method) => Reflect.defineMetadata(HANDLES_BATCHES, method, target);
}

/** Hands one event to its handler, if the follower has one for its type. */
export async function dispatch(
  handlers: Map<string, FollowerHandler>,
  envelope: StoredEvent,
  manager: EntityManager,
): Promise<void> {
  const handler = handlers.get(envelope.type);
  if (handler) await handler(EventRegistry.fromRecord(envelope, envelope.position), { envelope, manager });
}

/** The follower's handlers by stored event type. */
export function handlersOf(follower: object): Map<string, FollowerHandler> {
  const methods: Map<string, string | symbol> =
    Reflect.getMetadata(HANDLES, Object.getPrototypeOf(follower)) ?? new Map();
  const record = follower as Record<string | symbol, FollowerHandler>;
  return new Map([...methods].map(([type, method]) => [type, record[method].bind(follower)]));
}

/** The follower's {@link HandlesBatches} method, if it has one. */
export function batchHandlerOf(follower: object): FollowerBatchHandler | undefined {
  const method: string | symbol | undefined = Reflect.getMetadata(HANDLES_BATCHES, Object.getPrototypeOf(follower));
  return method === undefined
    ? undefined
    : (follower as Record<string | symbol, FollowerBatchHandler>)[method].bind(follower);
}
