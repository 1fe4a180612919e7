import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { KeyedMutex, withLogContext } from '#event-sourcing';
import type { EventResponse } from '#event-sourcing/http';
import { receiveTraced } from '../message-tracing.js';
import type { NatsConnector } from '../nats-connector.js';
import type { InboxConsumerMetadata, InboxHandler } from './inbox-consumer.decorator.js';

/** How long JetStream waits for an ack before it delivers a message again: longer than one transaction takes. */
const ACK_WAIT_MS = 30_000;
const MAX_RETRY_PAUSE_MS = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs one inbox consumer: a durable JetStream pull consumer, `concurrency` messages at
 * a time, events of one stream one after another in the order JetStream delivers them.
 * Each event is applied and recorded in `broker_inbox` in one transaction, then acked.
 */
export class InboxLoop {
  private stopped = false;
  private readonly stopping = new AbortController();
  private messages?: ConsumerMessages;
  private running?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly streams = new KeyedMutex();
  private readonly logger: Logger;

  constructor(
    readonly metadata: InboxConsumerMetadata,
    private readonly receivers: Map<string, InboxHandler>,
    private readonly connector: NatsConnector,
    private readonly dataSource: DataSource,
  ) {
    this.logger = new Logger(`Inbox ${metadata.name}`);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops pulling, finishes and acks the messages in hand; the rest go to another instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.messages?.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.consume(() => (failures = 0));
      } catch (error) {
        if (this.stopped) break;
        failures++;
        const pause = Math.min(MAX_RETRY_PAUSE_MS, 250 * 2 ** Math.min(failures, 16));
        this.logger.warn(`cannot consume ${this.subject}: ${(error as Error).message}; retrying in ${pause} ms`);
        await sleep(pause, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    await Promise.allSettled(this.inFlight);
  }

  private get subject(): string {
    return `${this.connector.config.stream}.${this.metadata.subject}`;
  }

  private async consume(connected: () => void): Promise<void> {
    const { client, manager } = await this.connector.jetstream();
    await this.ensureConsumer(manager);
    const consumer = await client.consumers.get(this.connector.config.stream, this.metadata.name);
    const concurrency = this.connector.config.consumerConcurrency;
    this.messages = await consumer.consume({ max_messages: concurrency * 2 });
    if (this.stopped) await this.messages.close();
    connected();
    for await (const message of this.messages) {
      if (this.stopped) {
        message.nak();
        continue;
      }
      while (this.inFlight.size >= concurrency) await Promise.race(this.inFlight);
      const task = this.receive(message).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
    if (!this.stopped) throw new Error('JetStream ended the delivery');
  }

  /** Creates the durable consumer unless it exists; the relay creates the stream. */
  private async ensureConsumer(manager: JetStreamManager): Promise<void> {
    const { stream, consumerConcurrency } = this.connector.config;
    try {
      await manager.consumers.info(stream, this.metadata.name);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
      await manager.consumers.add(stream, {
        durable_name: this.metadata.name,
        filter_subject: this.subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        max_ack_pending: consumerConcurrency * 100,
      });
      this.logger.log(`created the durable consumer ${this.metadata.name} of ${this.subject}`);
    }
  }

  private async receive(message: JsMsg): Promise<void> {
    const event = parseEvent(message);
    if (!event) {
      // It will never parse: redelivering it would only block its place for ever.
      this.logger.error(`message ${message.seq} on ${message.subject} is not a relayed event; dropped`);
      message.term('not a relayed event');
      return;
    }
    const receiver = this.receivers.get(event.type);
    if (!receiver) {
      message.ack();
      return;
    }
    try {
      const applied = await receiveTraced(this.metadata.name, message, () =>
        this.streams.run(event.streamId, () => this.apply(event, receiver)),
      );
      if (!applied) this.logger.debug(`${event.type} at position ${event.position} was applied before; acked again`);
      message.ack();
    } catch (error) {
      const deliveries = message.info.deliveryCount;
      const pause = Math.min(MAX_RETRY_PAUSE_MS, 100 * 2 ** Math.min(deliveries, 16));
      this.logger.warn(
        `${event.type} at position ${event.position} failed (delivery ${deliveries}): ${(error as Error).message}; again in ${pause} ms`,
      );
      message.nak(pause);
    }
  }

  /** The event's effects and its inbox row in one transaction: false when the row was there already. */
  private apply(event: EventResponse, receiver: InboxHandler): Promise<boolean> {
    const fields = {
      inbox: this.metadata.name,
      position: event.position,
      ...(typeof event.metadata.correlationId === 'string' ? { correlationId: event.metadata.correlationId } : {}),
    };
    return withLogContext(fields, () =>
      this.dataSource.transaction(async (manager) => {
        const recorded: unknown[] = await manager.query(
          `INSERT INTO broker_inbox (consumer, event_id, position) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING event_id`,
          [this.metadata.name, event.id, event.position],
        );
        if (recorded.length === 0) return false;
        await receiver(event, { manager });
        return true;
      }),
    );
  }
}

/** The event in the message, if it has the fields every relayed event has. */
function parseEvent(message: JsMsg): EventResponse | undefined {
  let event: Partial<EventResponse>;
  try {
    event = message.json<Partial<EventResponse>>();
  } catch {
    return undefined;
  }
  const valid =
    typeof event === 'object' &&
    event !== null &&
    typeof event.id === 'string' &&
    UUID.test(event.id) &&
    typeof event.type === 'string' &&
    typeof event.streamId === 'string' &&
    Number.isSafeInteger(event.position) &&
    typeof event.data === 'object' &&
    event.data !== null &&
    typeof event.metadata === 'object' &&
    event.metadata !== null;
  return valid ? (event as EventResponse) : undefined;
}
