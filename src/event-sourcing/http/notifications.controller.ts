import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import { ApiProblemResponses } from './api-problem-responses.decorator.js';
import { OperatorsOnly } from './operators-only.decorator.js';
import { PageLimitQuery } from './page-limit.query.js';
import { PROBLEMS } from './problem-examples.js';
import { QueryInteger } from './query-integer.decorator.js';
import { EventStore } from '../store/event-store.js';
import { EventPage, EventResponse } from './event.response.js';

export class NotificationsQuery extends PageLimitQuery {
  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, description: 'Return events after this position' })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after: number = 0;
}

export class NotificationPage extends EventPage {
  @ApiProperty({
    type: 'integer',
    description: 'Pass as `after` to read the next page: the position of the last item, or `after` itself',
    example: 100,
  })
  next!: number;
}

/**
 * The application's log, for followers in other processes: every committed event
 * exactly once, in position order, by following `next`.
 */
@ApiTags('notifications')
@OperatorsOnly()
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly store: EventStore) {}

  @Get()
  @ApiOperation({
    operationId: 'readNotifications',
    summary: 'Read the notification log',
    description:
      'Every committed event exactly once, in strictly increasing positions, for a reader that starts at `after=0` and keeps following `next`. A full page never changes: it is served with a strong ETag and cached for a year.',
  })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'The ETag of a full page read before: 304 if it is still the same (it always is)',
    example: '"0-100-100"',
  })
  @ApiOkResponse({
    type: NotificationPage,
    headers: {
      ETag: {
        description: 'Only on a full page, which never changes',
        schema: { type: 'string', example: '"0-100-100"' },
      },
      'Cache-Control': {
        description: '`public, max-age=31536000, immutable` on a full page, `no-cache` on the last one',
        required: true,
        schema: { type: 'string', example: 'public, max-age=31536000, immutable' },
      },
    },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match names this full page: use the copy you have' })
  @ApiProblemResponses(PROBLEMS.invalidRequest)
  async read(
    @Query() query: NotificationsQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<NotificationPage | undefined> {
    const events = await this.store.readLog(query.after, query.limit);
    const next = events.length > 0 ? events[events.length - 1].position : query.after;
    // No event can join a full page later (the log never skips), so it is cacheable for ever.
    if (events.length === query.limit) {
      const etag = `"${query.after}-${query.limit}-${next}"`;
      response.setHeader('ETag', etag);
      response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      if (ifNoneMatch === etag) {
        response.status(304);
        return undefined;
      }
    } else {
      response.setHeader('Cache-Control', 'no-cache');
    }
    return { items: events.map(EventResponse.of), next };
  }
}
