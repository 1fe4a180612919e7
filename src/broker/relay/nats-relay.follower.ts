import { Logger } from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import { type StoredEvent, Follower, HandlesBatches } from '#event-sourcing';
import { publishTraced } from '../message-tracing.js';
import { NatsConnector } from '../nats-connector.js';
import { relayMessage } from './relay-message.js';
import { ensureRelayStream } from './relay-stream.js';

export const NATS_RELAY = 'nats-relay';

// A page of publishes is acknowledged together; one missing ack fails the page, which then comes again.
const PUBLISH_TIMEOUT_MS = 10_000;

/**
 * Publishes the log to a JetStream stream, a batch at a time: every publish of the batch
 * at once, then the checkpoint once JetStream acknowledged them all. A crash in between
 * publishes the batch again, and JetStream drops the repeats by message id (the event id)
 * within its duplicate window: at least once from here, once in the stream.
 */
@Follower(NATS_RELAY, { transactional: false })
export class NatsRelay {
  private readonly types: ReadonlySet<string>;
  /** The client whose connection saw the stream ensured: once per connection, not per batch. */
  private ensuredFor?: JetStreamClient;
  private readonly logger = new Logger('NatsRelay');

  constructor(private readonly connector: NatsConnector) {
    this.types = new Set(connector.config.relayTypes);
  }

  @HandlesBatches()
  async publish(events: StoredEvent[]): Promise<void> {
    const { stream } = this.connector.config;
    const { client, manager } = await this.connector.jetstream();
    if (this.ensuredFor !== client) {
      await ensureRelayStream(manager, this.connector.config);
      this.ensuredFor = client;
    }
    const chosen = this.types.size === 0 ? events : events.filter((event) => this.types.has(event.type));
    const acks = await Promise.all(
      chosen.map((event) => {
        const message = relayMessage(event, stream);
        return publishTraced(event, message, () =>
          client.publish(message.subject, message.payload, {
            msgID: message.msgID,
            headers: message.headers,
            timeout: PUBLISH_TIMEOUT_MS,
          }),
        );
      }),
    );
    const repeats = acks.filter((ack) => ack.duplicate).length;
    if (repeats > 0) this.logger.log(`JetStream dropped ${repeats} repeated events (a batch published again)`);
  }
}
