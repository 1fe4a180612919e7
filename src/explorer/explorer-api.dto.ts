import { IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { IntersectionType } from '@nestjs/swagger';
import { type EventResponse, LogReadQuery, PageLimitQuery, QueryInteger } from '#event-sourcing/http';
import type { StreamTypeCount } from './stream-catalog.js';
import type { NamedStream } from './stream-names.js';

const MAX_STREAM_ID = 1000;
const MAX_VERSION = 2_147_483_647;

export class StreamParams {
  @IsString()
  @Length(1, MAX_STREAM_ID)
  streamId!: string;
}

/** `GET /explorer/api/streams`: streams whose id starts with (or contains) `q`, of one type or all. */
export class StreamSearchQuery extends LogReadQuery {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  type?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_STREAM_ID)
  q: string = '';

  @IsOptional()
  @IsIn(['prefix', 'contains'])
  match: 'prefix' | 'contains' = 'prefix';

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @Length(1, MAX_STREAM_ID)
  after?: string;

  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class StreamEventsQuery extends IntersectionType(PageLimitQuery, LogReadQuery) {
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  fromVersion: number = 1;
}

export class StreamStateQuery extends LogReadQuery {
  /** The version to rebuild the state at; the current one when absent. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;
}

export interface StreamTypeResponse extends StreamTypeCount {
  /** Whether the app has an aggregate class for the type, so its states can be rebuilt. */
  timeTravel: boolean;
}

export interface OverviewResponse {
  streamTypes: StreamTypeResponse[];
  /** The newest position stored: where a live view of the log can start. */
  lastPosition: number;
}

export interface StreamResponse extends NamedStream {
  timeTravel: boolean;
}

export interface StreamStateResponse {
  streamId: string;
  streamType: string;
  version: number;
  /** The aggregate's fields right after the event at `version` (see aggregate-state.ts). */
  state: Record<string, unknown>;
  /** The event at `version`: the one that produced this state. */
  event: EventResponse;
}
