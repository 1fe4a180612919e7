import {
  Controller,
  Get,
  Headers,
  Inject,
  Logger,
  Query,
  Req,
  Res,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_SSE_MAX_STREAMS_PER_CLIENT,
  EVENT_SOURCING_OPTIONS,
  type EventSourcingOptions,
} from '../event-sourcing.options.js';
import { EventStore, type StoredEvent } from '../store/event-store.js';
import { LogTail } from '../subscriptions/log-tail.js';
import { LogWakeup } from '../subscriptions/log-wakeup.js';
import { ApiProblemResponses } from './api-problem-responses.decorator.js';
import { OperatorsOnly } from './operators-only.decorator.js';
import { EventResponse } from './event.response.js';
import { RequestValidationError } from './problem-details.js';
import { PROBLEMS } from './problem-examples.js';
import { QueryInteger } from './query-integer.decorator.js';
import { SseResponse } from './sse-response.js';
import { STREAM_RETRY_AFTER_SECONDS, StreamsPerClient } from './streams-per-client.js';

/** On shutdown, how long an ended stream may take to flush before its socket is cut. */
const FLUSH_ON_SHUTDOWN_MS = 1_000;

const POSITION = /^\d{1,16}$/;

export class NotificationsStreamQuery {
  @ApiPropertyOptional({
    description:
      'Send events after this position; for clients that cannot set Last-Event-ID, which wins if both are given',
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

function parseLastEventId(raw: string): number {
  const value = Number(raw);
  if (!POSITION.test(raw) || value > Number.MAX_SAFE_INTEGER) {
    throw new RequestValidationError([
      { field: 'Last-Event-ID', message: 'Last-Event-ID must be a position: a non-negative integer in decimal digits' },
    ]);
  }
  return value;
}

/** One message per event, with the position as its id: what every stream is sent. */
function toMessages(events: StoredEvent[]): string {
  return events.map((event) => `id: ${event.position}\ndata: ${JSON.stringify(EventResponse.of(event))}\n\n`).join('');
}

/**
 * The notification log as Server-Sent Events: the items of `GET /notifications`, live,
 * one message per event with the position as its id. Every stream is fed by one
 * {@link LogTail} per process, which reads the log like any follower (`readLog` after
 * the last position read), so each stream gets every committed event exactly once, in
 * position order, and a client that reconnects with `Last-Event-ID` misses nothing.
 * A client address may hold `sseMaxStreamsPerClient` streams at once.
 */
@ApiTags('notifications')
@OperatorsOnly()
@Controller('notifications')
export class NotificationsStreamController implements BeforeApplicationShutdown {
  /** Each open stream, with what resolves when its response is done with. */
  private readonly streams = new Map<SseResponse, Promise<void>>();
  private readonly tail: LogTail<string>;
  private readonly perClient: StreamsPerClient;
  private shuttingDown = false;
  private readonly logger = new Logger('NotificationsStream');

  constructor(
    store: EventStore,
    wakeup: LogWakeup,
    @Inject(EVENT_SOURCING_OPTIONS) private readonly options: EventSourcingOptions,
  ) {
    this.tail = new LogTail(store, wakeup, toMessages);
    this.perClient = new StreamsPerClient(options.sseMaxStreamsPerClient ?? DEFAULT_SSE_MAX_STREAMS_PER_CLIENT);
  }

  @Get('stream')
  @ApiOperation({
    operationId: 'streamNotifications',
    summary: 'Follow the notification log live (Server-Sent Events)',
    description:
      "For a browser's EventSource: `new EventSource('/notifications/stream')`. On reconnect it sends Last-Event-ID and misses nothing. " +
      'A client that falls more than 1 MiB behind is disconnected, and resumes the same way.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    schema: { type: 'string', pattern: POSITION.source, example: '41' },
    description: 'Resume after this position (the id of the last message received); sent by EventSource on reconnect',
  })
  @ApiOkResponse({
    description:
      'An endless `text/event-stream`. Each message has `id: <position>` and, in `data`, one Event as ' +
      '`GET /notifications` serves it (default event name `message`), in strictly increasing positions. ' +
      'A `: heartbeat` comment follows SSE_HEARTBEAT_MS (15 s by default) without a message.',
    content: {
      'text/event-stream': { schema: { type: 'string', example: 'id: 42\ndata: {"id":"…","position":42}\n\n' } },
    },
  })
  @ApiProblemResponses(PROBLEMS.invalidRequest, PROBLEMS.tooManyRequests, PROBLEMS.tooManyStreams)
  async stream(
    @Query() query: NotificationsStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const after = lastEventId !== undefined ? parseLastEventId(lastEventId) : (query.after ?? 0);
    let release: () => void;
    try {
      // The address as the rate limit sees it: behind TRUST_PROXY_HOPS proxies, from X-Forwarded-For.
      release = this.perClient.take(request.ip ?? request.socket.remoteAddress ?? '');
    } catch (error) {
      response.setHeader('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
      throw error;
    }
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    if (this.shuttingDown) {
      release();
      response.end();
      return;
    }
    // Written only while open; a late failure of the socket must not become an uncaught 'error'.
    response.on('error', () => undefined);
    const sink = new SseResponse(response, this.options.sseHeartbeatMs);
    const done = this.follow(after, sink).finally(() => {
      release();
      this.streams.delete(sink);
    });
    this.streams.set(sink, done);
    await done;
  }

  /** How many clients are connected now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Ends every open stream, so that closing the HTTP server does not wait for clients. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const streams = [...this.streams];
    for (const [sink] of streams) sink.stop();
    await this.tail.stop();
    await Promise.all(
      streams.map(async ([{ response }, done]) => {
        await done;
        if (!response.writableEnded) response.end();
        const flushed = new AbortController();
        await Promise.race([
          finished(response).catch(() => undefined),
          sleep(FLUSH_ON_SHUTDOWN_MS, undefined, { signal: flushed.signal }).catch(() => undefined),
        ]);
        flushed.abort();
        if (!response.writableFinished) response.destroy();
      }),
    );
  }

  private async follow(after: number, sink: SseResponse): Promise<void> {
    try {
      await this.tail.follow(after, sink);
    } catch (error) {
      this.logger.error(`stream stopped: ${(error as Error).stack ?? String(error)}`);
    } finally {
      sink.stop();
      if (!sink.response.writableEnded && !this.shuttingDown) sink.response.end();
    }
  }
}
