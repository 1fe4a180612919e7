import 'reflect-metadata';
import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import type { EventResponse } from '#event-sourcing/http';

export interface InboxConsumerOptions {
  /**
   * The subjects to receive, below the stream's own first token: `Account.>` for every
   * event of accounts, `Account.MoneyDeposited` for one type (see relaySubject).
   */
  subject: string;
}

export interface InboxConsumerMetadata extends InboxConsumerOptions {
  name: string;
}

/** What a receiver gets besides the event: the transaction that also records the event as received. */
export interface InboxContext {
  manager: EntityManager;
}

export type InboxHandler = (event: EventResponse, context: InboxContext) => Promise<void>;

export const INBOX_CONSUMER = DiscoveryService.createDecorator<InboxConsumerMetadata>();
const RECEIVES = Symbol('chronicle:receives');

/**
 * Makes a provider a durable JetStream consumer named `name` of the relay's stream (when
 * NATS is configured). Each event is applied in one transaction with a row in
 * `broker_inbox`, and acknowledged after the commit: an event JetStream delivers again
 * (after a crash before the ack) finds its row and changes nothing. Never rename it: a
 * new name is a new consumer, which starts from the beginning of the stream.
 */
export const InboxConsumer = (name: string, options: InboxConsumerOptions): ClassDecorator =>
  INBOX_CONSUMER({ name, ...options });

/**
 * Marks an inbox consumer's method as the receiver of these event types (the names on
 * the wire, as the other context publishes them). Throwing makes JetStream deliver the
 * event again later, with a growing pause.
 */
export function Receives(...types: string[]): MethodDecorator {
  return (target, method) => {
    const receivers: Map<string, string | symbol> = Reflect.getMetadata(RECEIVES, target) ?? new Map();
    for (const type of types) receivers.set(type, method);
    Reflect.defineMetadata(RECEIVES, receivers, target);
  };
}

/** The consumer's receivers by event type. */
export function receiversOf(consumer: object): Map<string, InboxHandler> {
  const methods: Map<string, string | symbol> =
    Reflect.getMetadata(RECEIVES, Object.getPrototypeOf(consumer)) ?? new Map();
  const record = consumer as Record<string | symbol, InboxHandler>;
  return new Map([...methods].map(([type, method]) => [type, record[method].bind(consumer)]));
}
