import { applyDecorators, ForbiddenException, SetMetadata } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiPropertyOptional,
  ApiQuery,
  type ApiOperationOptions,
} from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiProblemResponses, problemExample } from './api-problem-responses.decorator.js';
import { POSITION } from './live-streams.js';
import { PROBLEMS } from './problem-examples.js';
import { QueryInteger } from './query-integer.decorator.js';

/** The metadata key of {@link AcceptsStreamTicket}, for whatever authenticates requests to enforce. */
export const STREAM_TICKETS_ACCEPTED = 'chronicle:access:stream-tickets';

/** Where a live stream starts when the client sends no `Last-Event-ID`. */
export class LiveStreamQuery {
  @ApiPropertyOptional({
    description:
      'Send events after this position; for clients that cannot set Last-Event-ID, which wins if both are given. ' +
      'Without either, the stream starts at the head of the log: only events committed from now on',
    type: 'integer',
    minimum: 0,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;
}

/** The query of a live view: where it starts, and the stream ticket that may stand in for `Authorization`. */
export class LiveViewQuery extends LiveStreamQuery {
  // The authentication guard redeems it before validation (see AcceptsStreamTicket); unused with authentication off.
  @IsOptional()
  @IsString()
  ticket?: string;
}

/**
 * A live stream a browser opens with `EventSource`, which cannot send `Authorization`: with
 * authentication on, the request may carry a stream ticket instead (`?ticket=`, from
 * `POST /stream-tickets`), single-use and bound to its subject and to this path.
 */
export const AcceptsStreamTicket = (): MethodDecorator =>
  applyDecorators(
    SetMetadata(STREAM_TICKETS_ACCEPTED, true),
    ApiQuery({
      name: 'ticket',
      required: false,
      schema: { type: 'string' },
      description:
        "With authentication on, instead of Authorization: a ticket from POST /stream-tickets for this request's path, used once within 30 s",
    }),
    ApiProblemResponses(
      // As src/auth refuses it.
      problemExample(
        'The stream ticket was issued for another path, or to another subject than the bearer token sent with it',
        new ForbiddenException('The stream ticket was issued for /accounts/stream, not for this path'),
      ),
    ),
  );

/** The OpenAPI description of a live stream route: Server-Sent Events of the log's events, `Last-Event-ID` resumes. */
export const ApiLiveStream = (operation: ApiOperationOptions): MethodDecorator =>
  applyDecorators(
    ApiOperation(operation),
    ApiProduces('text/event-stream'),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      schema: { type: 'string', pattern: POSITION.source, example: '41' },
      description: 'Resume after this position (the id of the last message received); sent by EventSource on reconnect',
    }),
    ApiOkResponse({
      description:
        'An endless `text/event-stream`. Each message has `id: <position>` and, in `data`, one Event as ' +
        '`GET /notifications` serves it (default event name `message`), in strictly increasing positions. ' +
        'A stream that starts at the head first sends a `position` event (`event: position`, `id: <head>`, ' +
        '`data: {"position": <head>}`), which `onmessage` does not see. ' +
        'A `: heartbeat` comment follows SSE_HEARTBEAT_MS (15 s by default) without a message; on a filtered stream ' +
        'it may come with a `position` event: the last position looked at, so that a reconnect resumes from there.',
      content: {
        'text/event-stream': { schema: { type: 'string', example: 'id: 42\ndata: {"id":"…","position":42}\n\n' } },
      },
    }),
    ApiProblemResponses(PROBLEMS.invalidRequest, PROBLEMS.tooManyRequests, PROBLEMS.tooManyStreams),
  );
