import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BrokerConfig } from '../config/app-config.js';

export interface JetStream {
  client: JetStreamClient;
  manager: JetStreamManager;
}

// A first connection that takes longer fails the caller's try; the follower or consumer tries again later.
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The app's one NATS connection, opened on first use rather than at start, so that the
 * app starts and serves while NATS is down; the relay and consumers retry meanwhile.
 * Once connected, the client reconnects for ever by itself.
 */
export class NatsConnector implements OnApplicationShutdown {
  private connecting?: Promise<JetStream>;
  private connection?: NatsConnection;
  private closed = false;
  private readonly logger = new Logger('NATS');

  constructor(readonly config: BrokerConfig) {}

  /** JetStream over the connection; rejects when NATS cannot be reached now. */
  jetstream(): Promise<JetStream> {
    if (this.closed) return Promise.reject(new Error('The NATS connection is closed'));
    this.connecting ??= this.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Last, after every relay and consumer stopped: publishes and acks in flight still go out. */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.connection?.drain().catch(() => undefined);
  }

  private async connect(): Promise<JetStream> {
    const connection = await connect({
      servers: this.config.servers,
      name: `chronicle (${this.config.stream})`,
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
    });
    let manager: JetStreamManager;
    try {
      if (this.closed) throw new Error('The NATS connection is closed');
      // Fails unless the server runs JetStream.
      manager = await jetstreamManager(connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
    this.connection = connection;
    void this.watch(connection);
    this.logger.log(`connected to ${connection.getServer()}`);
    return { client: jetstream(connection), manager };
  }

  private async watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') this.logger.warn(`disconnected from ${status.server}; reconnecting`);
      if (status.type === 'reconnect') this.logger.log(`reconnected to ${status.server}`);
    }
  }
}
