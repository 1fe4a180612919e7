import { Controller, Get, Query } from '@nestjs/common';
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
      'Every committed event exactly once, in strictly increasing positions, for a reader that starts at `after=0` and keeps following `next`. No page is fixed for ever: the last one grows, and an erasure or an in-place migration rewrites events on any page, so each answer carries a hash of its bytes as its ETag, for a cache to revalidate on every use.',
  })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'The ETag of this page read before: 304 if the page is still byte for byte the same',
    example: '"1f4-Kq7c5pVQ0TyRjW1u1Nw3pV9Q2hE"',
  })
  @ApiOkResponse({
    type: NotificationPage,
    headers: {
      ETag: {
        description: "A hash of the page's bytes: it changes whenever the page does",
        required: true,
        schema: { type: 'string', example: '"1f4-Kq7c5pVQ0TyRjW1u1Nw3pV9Q2hE"' },
      },
      'Cache-Control': {
        description:
          '`no-cache` (`private, no-cache` for a request with credentials): keep a page only to revalidate it',
        required: true,
        schema: { type: 'string', example: 'no-cache' },
      },
    },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match names this page as it is now: use the copy you have' })
  @ApiProblemResponses(PROBLEMS.invalidRequest)
  async read(@Query() query: NotificationsQuery): Promise<NotificationPage> {
    const events = await this.store.readLog(query.after, query.limit);
    const next = events.length > 0 ? events[events.length - 1].position : query.after;
    // The ETag, the 304 and Cache-Control are the app's (configureApp): a hash of what is sent.
    return { items: events.map(EventResponse.of), next };
  }
}
