import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NatsConnector } from '../nats-connector.js';
import { INBOX_CONSUMER, receiversOf } from './inbox-consumer.decorator.js';
import { InboxLoop } from './inbox-loop.js';

/** Finds every `@InboxConsumer` provider and runs it from start to shutdown. */
@Injectable()
export class InboxConsumersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private loops: InboxLoop[] = [];
  private readonly logger = new Logger('Inbox');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly connector: NatsConnector,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.loops = this.discovery
      .getProviders({ metadataKey: INBOX_CONSUMER.KEY })
      .filter((wrapper) => wrapper.instance)
      .map(
        (wrapper) =>
          new InboxLoop(
            this.discovery.getMetadataByDecorator(INBOX_CONSUMER, wrapper)!,
            receiversOf(wrapper.instance as object),
            this.connector,
            this.dataSource,
          ),
      );
    if (this.loops.length === 0) return;
    for (const loop of this.loops) loop.start();
    this.logger.log(`consuming from NATS: ${this.loops.map((loop) => loop.metadata.name).join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}
