import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiLiveStream, LiveStreamQuery } from './live-stream.route.js';
import { LiveStreams } from './live-streams.js';
import { OperatorsOnly } from './operators-only.decorator.js';

/**
 * The whole notification log as Server-Sent Events: the items of `GET /notifications`, live
 * (see {@link LiveStreams}). For back-end followers, so for operators; browsers follow the
 * live views of the bounded contexts instead, which send only what their user may see.
 */
@ApiTags('notifications')
@OperatorsOnly()
@Controller('notifications')
export class NotificationsStreamController {
  constructor(private readonly live: LiveStreams) {}

  @Get('stream')
  @ApiLiveStream({
    operationId: 'streamNotifications',
    summary: 'Follow the notification log live (Server-Sent Events)',
    description:
      'For back-end followers of the whole log (the operator role). A new stream starts at the head of the log; ' +
      '`Last-Event-ID` (or `?after=`) resumes, missing nothing. ' +
      'A client that falls more than 1 MiB behind is disconnected, and resumes the same way.',
  })
  async stream(
    @Query() { after }: LiveStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.live.serve(request, response, { lastEventId, after });
  }
}
