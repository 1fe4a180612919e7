import { Module } from '@nestjs/common';
import { ExplorerApiController } from './explorer-api.controller.js';
import { ExplorerPageController } from './explorer-page.controller.js';
import { StreamCatalog } from './stream-catalog.js';
import { StreamNames } from './stream-names.js';

/**
 * The event explorer at /explorer: a page to search streams, read their events, step
 * through an aggregate's states and watch the log and its followers. Knows no domain: it
 * reads the event store and the aggregate types that `EventSourcingModule.forFeature` registered.
 */
@Module({
  controllers: [ExplorerPageController, ExplorerApiController],
  providers: [StreamCatalog, StreamNames],
})
export class ExplorerModule {}
