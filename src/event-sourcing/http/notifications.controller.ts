import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import { PageLimitQuery } from './page-limit.query.js';
import { QueryInteger } from './query-integer.decorator.js';
import { EventStore } from '../store/event-store.js';
import { EventPage, EventResponse } from './event.response.js';

export class NotificationsQuery extends PageLimitQuery {
  @ApiPropertyOptional({ default: 0, description: 'Return events after this position' })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after: number = 0;
}

export class NotificationPage extends EventPage {
  @ApiProperty({ description: 'Pass as `after` to read the next page', example: 100 }) next!: number;
}

/**
 * The application's log, for followers in other processes: every committed event
 * exactly once, in position order, by following `next`.
 */
@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly store: EventStore) {}

  @Get()
  @ApiOkResponse({ type: NotificationPage })
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
