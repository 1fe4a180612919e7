import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { BrokerConfig } from '../config/app-config.js';
import { InboxConsumersService } from './inbox/inbox-consumers.service.js';
import { NatsConnector } from './nats-connector.js';
import { NatsRelay } from './relay/nats-relay.follower.js';

/**
 * NATS JetStream between bounded contexts: the relay that publishes the log, and the
 * runner of `@InboxConsumer`s. Without a configuration it provides nothing: no follower
 * named nats-relay, no connection, and inbox consumers stay idle providers.
 */
@Module({})
export class BrokerModule {
  static forRoot(config: BrokerConfig | undefined): DynamicModule {
    if (!config) return { module: BrokerModule };
    return {
      module: BrokerModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: NatsConnector, useFactory: () => new NatsConnector(config) },
        NatsRelay,
        InboxConsumersService,
      ],
    };
  }
}
