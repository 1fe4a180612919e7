import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig, type BrokerConfig } from '../../src/config/app-config.js';

/** The NATS server the tests use: `NATS_URL`, else the one on this machine. No skipping when it is down. */
export const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';

/** A stream name no other test run uses, so test files and engineers sharing the server never meet. */
export function uniqueStream(): string {
  return `chronicle_test_${randomBytes(5).toString('hex')}`;
}

/** The broker configuration the app reads from `env`, on the test server and a stream of its own. */
export function brokerConfig(stream: string, env: NodeJS.ProcessEnv = {}): BrokerConfig {
  return loadConfig({ NATS_URL, NATS_STREAM: stream, ...env }).broker!;
}

/** A connection of the test's own to look into JetStream, apart from the app's. */
export class JetStreamProbe {
  private constructor(
    private readonly connection: NatsConnection,
    readonly manager: JetStreamManager,
  ) {}

  static async open(): Promise<JetStreamProbe> {
    const connection = await connect({ servers: NATS_URL, timeout: 5_000 }).catch((error: Error) => {
      throw new Error(`NATS with JetStream must run at ${NATS_URL} for these tests: ${error.message}`);
    });
    return new JetStreamProbe(connection, await jetstreamManager(connection));
  }

  /** Every message in the stream, in stream order. */
  async messages(stream: string): Promise<StoredMsg[]> {
    const { state } = await this.manager.streams.info(stream);
    const messages: StoredMsg[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const message = await this.manager.streams.getMessage(stream, { seq });
      if (message) messages.push(message);
    }
    return messages;
  }

  /** The message id of every message in the stream, in stream order, through an ordered consumer: for many messages. */
  async messageIds(stream: string): Promise<string[]> {
    const { state } = await this.manager.streams.info(stream);
    const ids: string[] = [];
    if (state.messages === 0) return ids;
    const messages = await (await jetstream(this.connection).consumers.get(stream)).consume();
    for await (const message of messages) {
      ids.push(message.headers?.get('Nats-Msg-Id') ?? '');
      if (ids.length === state.messages) break;
    }
    await messages.close();
    return ids;
  }

  /** Deletes the streams (and so their consumers), then closes the connection. */
  async close(...streams: string[]): Promise<void> {
    for (const stream of streams) await this.manager.streams.delete(stream).catch(() => undefined);
    await this.connection.close();
  }
}
