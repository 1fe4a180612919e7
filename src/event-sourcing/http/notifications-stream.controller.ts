import { Controller, Get, Headers, Inject, Logger, Query, Res, type BeforeApplicationShutdown } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_SOURCING_OPTIONS, type EventSourcingOptions } from '../event-sourcing.options.js';
import { EventStore, type StoredEvent } from '../store/event-store.js';
import { LogWakeup } from '../subscriptions/log-wakeup.js';
import { ApiProblemResponses } from './api-problem-responses.decorator.js';
import { OperatorsOnly } from './operators-only.decorator.js';
import { EventResponse } from './event.response.js';
import { RequestValidationError } from './problem-details.js';
import { PROBLEMS } from './problem-examples.js';
import { QueryInteger } from './query-integer.decorator.js';

/** A comment line is sent after this long without a message, so that proxies keep the connection. */
/** Events read from the log per query. */
const BATCH_SIZE = 100;
/**
 * A caught-up stream looks at the log again this soon after a wake-up, doubling up to
 * POLL_MS: an append wakes it at once, but its event stays invisible while an older
 * transaction anywhere on the server is still running (docs/ARCHITECTURE.md, "The log").
 */
const MIN_IDLE_MS = 25;
const POLL_MS = 1_000;
const MAX_READ_BACKOFF_MS = 5_000;
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

/** One open response: its loop runs until the client goes away or the app shuts down. */
class LogStream {
  private stopped = false;
  private interrupt?: () => void;
  done: Promise<void> = Promise.resolve();

  constructor(readonly response: Response) {
    response.once('close', () => this.stop());
  }

  get open(): boolean {
    return !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.interrupt?.();
  }

  /** Waits for `work`, or less if the stream stops first. */
  async pause(work: Promise<unknown>): Promise<void> {
    if (this.stopped) return;
    // A fresh promise per pause, so that a long-lived stream does not pile up reactions on one.
    await Promise.race([work, new Promise<void>((resolve) => (this.interrupt = resolve))]);
    this.interrupt = undefined;
  }

  /** Writes, then waits while the client is slower than the log (back-pressure). */
  async write(chunk: string): Promise<void> {
    if (this.stopped) return;
    if (!this.response.write(chunk)) await this.pause(new Promise((resolve) => this.response.once('drain', resolve)));
  }
}

/**
 * The notification log as Server-Sent Events: the items of `GET /notifications`, live,
 * one message per event with the position as its id. It reads the log like any
 * follower (`readLog` after the last position sent), so it sends every committed event
 * exactly once, in position order, and a client that reconnects with `Last-Event-ID`
 * misses nothing.
 */
@ApiTags('notifications')
@OperatorsOnly()
@Controller('notifications')
export class NotificationsStreamController implements BeforeApplicationShutdown {
  private readonly streams = new Set<LogStream>();
  private shuttingDown = false;
  private readonly logger = new Logger('NotificationsStream');

  constructor(
    private readonly store: EventStore,
    private readonly wakeup: LogWakeup,
    @Inject(EVENT_SOURCING_OPTIONS) private readonly options: EventSourcingOptions,
  ) {}

  @Get('stream')
  @ApiOperation({
    operationId: 'streamNotifications',
    summary: 'Follow the notification log live (Server-Sent Events)',
    description:
      "For a browser's EventSource: `new EventSource('/notifications/stream')`. On reconnect it sends Last-Event-ID and misses nothing.",
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
  @ApiProblemResponses(PROBLEMS.invalidRequest)
  async stream(
    @Query() query: NotificationsStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const after = lastEventId !== undefined ? parseLastEventId(lastEventId) : (query.after ?? 0);
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    if (this.shuttingDown) {
      response.end();
      return;
    }
    // Written only while open; a late failure of the socket must not become an uncaught 'error'.
    response.on('error', () => undefined);
    const stream = new LogStream(response);
    this.streams.add(stream);
    stream.done = this.pump(stream, after).finally(() => this.streams.delete(stream));
    await stream.done;
  }

  /** How many clients are connected now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Ends every open stream, so that closing the HTTP server does not wait for clients. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const streams = [...this.streams];
    for (const stream of streams) stream.stop();
    if (streams.length > 0) this.wakeup.wake();
    await Promise.all(
      streams.map(async (stream) => {
        await stream.done;
        const { response } = stream;
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

  private async pump(stream: LogStream, from: number): Promise<void> {
    let after = from;
    let lastWrite = Date.now();
    let idleMs = MIN_IDLE_MS;
    let failures = 0;
    try {
      while (stream.open) {
        let events: StoredEvent[];
        try {
          events = await this.store.readLog(after, BATCH_SIZE);
          failures = 0;
        } catch (error) {
          if (!stream.open) break;
          failures++;
          idleMs = Math.min(MAX_READ_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
          this.logger.warn(`cannot read the log: ${(error as Error).message}; retrying in ${idleMs} ms`);
          events = [];
        }
        if (events.length > 0) {
          after = events[events.length - 1].position;
          await stream.write(
            events
              .map((event) => `id: ${event.position}\ndata: ${JSON.stringify(EventResponse.of(event))}\n\n`)
              .join(''),
          );
          lastWrite = Date.now();
          idleMs = MIN_IDLE_MS;
          if (events.length === BATCH_SIZE) continue;
        }
        if (Date.now() - lastWrite >= this.options.sseHeartbeatMs) {
          await stream.write(': heartbeat\n\n');
          lastWrite = Date.now();
        }
        const waitMs = Math.max(1, Math.min(idleMs, lastWrite + this.options.sseHeartbeatMs - Date.now()));
        const started = performance.now();
        await stream.pause(this.wakeup.wait(waitMs));
        // Woken before the timeout: the log grew. Else back off towards POLL_MS.
        const woken = performance.now() - started < waitMs - 1;
        if (failures === 0) idleMs = woken ? MIN_IDLE_MS : Math.min(idleMs * 2, POLL_MS);
      }
    } catch (error) {
      this.logger.error(`stream stopped: ${(error as Error).stack ?? String(error)}`);
    } finally {
      stream.stop();
      if (!stream.response.writableEnded && !this.shuttingDown) stream.response.end();
    }
  }
}
