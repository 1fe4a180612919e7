import { Controller, Get, NotFoundException, Param, Query, UnprocessableEntityException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AggregateTypes, ReadReplicas } from '#event-sourcing';
import { EventPage, EventResponse, OperatorsOnly, ReadsLog } from '#event-sourcing/http';
import { aggregateState } from './aggregate-state.js';
import { EXPLORER_PATH } from './explorer-assets.js';
import {
  StreamEventsQuery,
  StreamParams,
  StreamSearchQuery,
  StreamStateQuery,
  type OverviewResponse,
  type StreamResponse,
  type StreamStateResponse,
} from './explorer-api.dto.js';
import { StreamCatalog, type StreamSummary } from './stream-catalog.js';
import { type NamedStream, StreamNames } from './stream-names.js';

/**
 * What the explorer page reads: streams by type and id, a stream's events as the API
 * serves them (decoded, in their current shape), and an aggregate's state at any version.
 * Kept out of the OpenAPI document: a tool of this app, not part of its contract. Read on a
 * read replica when there is one in the rotation (`X-Read-Source` says which).
 */
@ApiExcludeController()
@OperatorsOnly()
@Controller(`${EXPLORER_PATH}/api`)
export class ExplorerApiController {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly names: StreamNames,
    private readonly reads: ReadReplicas,
    private readonly types: AggregateTypes,
  ) {}

  @Get('overview')
  @ReadsLog()
  async overview(): Promise<OverviewResponse> {
    const [streamTypes, lastPosition] = await Promise.all([this.catalog.streamTypes(), this.catalog.lastPosition()]);
    return {
      streamTypes: streamTypes.map((count) => ({ ...count, timeTravel: this.canRebuild(count.streamType) })),
      lastPosition,
    };
  }

  @Get('streams')
  @ReadsLog()
  async search(@Query() query: StreamSearchQuery): Promise<{ items: NamedStream[]; nextCursor: string | null }> {
    const { items, nextCursor } = await this.catalog.search({ ...query, text: query.q });
    return { items: await this.names.of(items), nextCursor };
  }

  @Get('streams/:streamId')
  @ReadsLog()
  async stream(@Param() { streamId }: StreamParams): Promise<StreamResponse> {
    const [stream] = await this.names.of([await this.find(streamId)]);
    return { ...stream, timeTravel: this.canRebuild(stream.streamType) };
  }

  @Get('streams/:streamId/events')
  @ReadsLog()
  async events(@Param() { streamId }: StreamParams, @Query() query: StreamEventsQuery): Promise<EventPage> {
    const events = await this.reads
      .eventStore()
      .readStream(streamId, { fromVersion: query.fromVersion, limit: query.limit });
    if (events.length === 0) await this.find(streamId);
    return { items: events.map(EventResponse.of) };
  }

  /** The aggregate rebuilt from the stream's events up to `version` (through its snapshots, as commands load it). */
  @Get('streams/:streamId/state')
  @ReadsLog()
  async state(@Param() { streamId }: StreamParams, @Query() query: StreamStateQuery): Promise<StreamStateResponse> {
    const stream = await this.find(streamId);
    const repository = this.types.repositoryOf(stream.streamType);
    if (!repository) {
      throw new UnprocessableEntityException(
        `No aggregate class of this app is stored as ${stream.streamType}: its state cannot be rebuilt`,
      );
    }
    const version = query.version ?? stream.version;
    if (version > stream.version) {
      throw new NotFoundException(`Stream ${streamId} has no version ${version}: it is at version ${stream.version}`);
    }
    const [aggregate, [event]] = await Promise.all([
      this.reads.load((id, at) => repository.get(id, at), repository.aggregateClass, streamId, { version }),
      this.reads.eventStore().readStream(streamId, { fromVersion: version, toVersion: version }),
    ]);
    return {
      streamId,
      streamType: stream.streamType,
      version,
      state: aggregateState(aggregate),
      event: EventResponse.of(event),
    };
  }

  private canRebuild(streamType: string): boolean {
    return this.types.repositoryOf(streamType) !== undefined;
  }

  private async find(streamId: string): Promise<StreamSummary> {
    const stream = await this.catalog.find(streamId);
    if (!stream) throw new NotFoundException(`There is no stream ${streamId}`);
    return stream;
  }
}
