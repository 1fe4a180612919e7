import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamOwners } from '../application/stream-owners.js';
import {
  DEFAULT_SSE_MAX_STREAMS_PER_CLIENT,
  EVENT_SOURCING_OPTIONS,
  type EventSourcingOptions,
} from '../event-sourcing.options.js';
import { EventStore, type StoredEvent } from '../store/event-store.js';
import { LogTail, type TailSink } from '../subscriptions/log-tail.js';
import { LogWakeup } from '../subscriptions/log-wakeup.js';
import { EventResponse } from './event.response.js';
import { RequestValidationError } from './problem-details.js';
import { SseResponse } from './sse-response.js';
import { STREAM_RETRY_AFTER_SECONDS, StreamsPerClient } from './streams-per-client.js';

/** On shutdown, how long an ended stream may take to flush before its socket is cut. */
const FLUSH_ON_SHUTDOWN_MS = 1_000;

/** What `Last-Event-ID` may hold: a position in decimal digits. */
export const POSITION = /^\d{1,16}$/;

/**
 * Which events of the log a live stream is sent: `ownerId` is the owner of the event's stream
 * (the actor of its first event, see {@link StreamOwners}).
 */
export type LiveFilter = (event: StoredEvent, ownerId: string | undefined) => boolean;

/** The filters of the live views a bounded context serves. */
export const LiveFilters = {
  /** The events of one stream (an aggregate and every view of it). */
  stream:
    (streamId: string): LiveFilter =>
    (event) =>
      event.streamId === streamId,
  /**
   * The events of the streams of a type that `ownerScope` owns; of them all when it is
   * undefined (see `OwnerScope`). The type's owners must be tracked
   * ({@link LiveStreams.trackOwners}); else a scoped stream is sent none of its events.
   */
  ownedBy:
    (streamType: string, ownerScope: string | undefined): LiveFilter =>
    (event, ownerId) =>
      event.streamType === streamType && (ownerScope === undefined || ownerId === ownerScope),
};

/** Where a stream starts: the request's `Last-Event-ID`, else its `?after=`, else the head of the log. */
export interface LiveStart {
  lastEventId?: string;
  after?: number;
}

/** A batch of the log as every stream is sent it: each event's message and its owner, made once for all streams. */
interface LiveBatch {
  events: StoredEvent[];
  owners: (string | undefined)[];
  messages: string[];
  /** The whole batch as one text, made for the first unfiltered stream that takes it. */
  whole?: string;
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

/**
 * A `position` event: where the stream stands with nothing to send, as its id (EventSource's
 * Last-Event-ID) and in its data, so that a page that reconnects by itself (with a new
 * ticket, `?after=`) resumes from there too; `onmessage` handlers do not see it.
 */
const positionMessage = (position: number) => `event: position\nid: ${position}\ndata: {"position":${position}}\n\n`;

/**
 * One client's stream as a sink of the tail: the messages of a batch that pass its filter.
 * A batch it is sent nothing of still moves its resume point: the next heartbeat carries a
 * `position` event with the batch's last position, so that a client that reconnects does
 * not read again what it was never sent.
 */
class LiveSink implements TailSink<LiveBatch> {
  readonly sse: SseResponse;
  /** A position passed since the last message sent, for the next heartbeat. */
  private passed?: number;

  constructor(
    response: Response,
    heartbeatMs: number,
    private readonly filter: LiveFilter | undefined,
  ) {
    this.sse = new SseResponse(response, heartbeatMs, () => this.heartbeat());
  }

  get open(): boolean {
    return this.sse.open;
  }

  get closed(): Promise<void> {
    return this.sse.closed;
  }

  stop(): void {
    this.sse.stop();
  }

  async write(batch: LiveBatch): Promise<void> {
    const text = this.select(batch);
    if (text !== '') await this.sse.write(text);
  }

  push(batch: LiveBatch): void {
    const text = this.select(batch);
    if (text !== '') this.sse.push(text);
  }

  private select(batch: LiveBatch): string {
    const last = batch.events[batch.events.length - 1].position;
    if (!this.filter) return (batch.whole ??= batch.messages.join(''));
    let text = '';
    let sent: number | undefined;
    for (let i = 0; i < batch.events.length; i++) {
      if (!this.filter(batch.events[i], batch.owners[i])) continue;
      text += batch.messages[i];
      sent = batch.events[i].position;
    }
    this.passed = sent === last ? undefined : last;
    return text;
  }

  private heartbeat(): string {
    const passed = this.passed;
    this.passed = undefined;
    return passed === undefined ? ': heartbeat\n\n' : `: heartbeat\n${positionMessage(passed)}`;
  }
}

/**
 * The log's live streams, as Server-Sent Events: each is one client's open response, sent
 * the events its filter lets through (the whole log for none), one message per event with
 * the position as its id. Every stream is fed by one {@link LogTail} per process, which
 * reads the log like any follower (`readLog` after the last position read), so a stream
 * gets each committed event it may see exactly once, in position order, and a client that
 * reconnects with `Last-Event-ID` misses nothing. A batch is turned into messages, and the
 * owners of its streams (of the tracked types) looked up, once for every stream: a stream
 * costs a filter per event. A client address may hold `sseMaxStreamsPerClient` streams at
 * once, of any kind.
 */
@Injectable()
export class LiveStreams implements BeforeApplicationShutdown {
  /** Each open stream, with what resolves when its response is done with. */
  private readonly streams = new Map<LiveSink, Promise<void>>();
  private readonly tail: LogTail<LiveBatch>;
  private readonly perClient: StreamsPerClient;
  private readonly ownerOf = new WeakMap<StoredEvent, string | undefined>();
  /** The stream types whose owners are looked up as the log is read. */
  private readonly ownedTypes = new Set<string>();
  private shuttingDown = false;
  private readonly logger = new Logger('LiveStreams');

  constructor(
    private readonly store: EventStore,
    wakeup: LogWakeup,
    private readonly owners: StreamOwners,
    @Inject(EVENT_SOURCING_OPTIONS) private readonly options: EventSourcingOptions,
  ) {
    const withOwners = {
      readLog: async (after: number, limit: number) => this.learnOwners(await store.readLog(after, limit)),
    };
    this.tail = new LogTail(withOwners, wakeup, (events) => this.toBatch(events));
    this.perClient = new StreamsPerClient(options.sseMaxStreamsPerClient ?? DEFAULT_SSE_MAX_STREAMS_PER_CLIENT);
  }

  /**
   * Looks up the owners of the streams of `streamType` as the log is read, for the filters
   * of {@link LiveFilters.ownedBy}; from a controller's constructor, before any stream opens,
   * so that no batch read earlier goes without them. Only those types cost a lookup.
   */
  trackOwners(streamType: string): void {
    this.ownedTypes.add(streamType);
  }

  /** How many clients are connected now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Answers `request` with the stream of the events `filter` lets through (all without one)
   * after the start position, until the client goes away or the app shuts down.
   */
  async serve(request: Request, response: Response, start: LiveStart, filter?: LiveFilter): Promise<void> {
    const given = start.lastEventId !== undefined ? parseLastEventId(start.lastEventId) : start.after;
    let release: () => void;
    try {
      // The address as the rate limit sees it: behind TRUST_PROXY_HOPS proxies, from X-Forwarded-For.
      release = this.perClient.take(request.ip ?? request.socket.remoteAddress ?? '');
    } catch (error) {
      response.setHeader('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
      throw error;
    }
    let after: number;
    try {
      after = given ?? (await this.store.readHead());
    } catch (error) {
      release();
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
    const sink = new LiveSink(response, this.options.sseHeartbeatMs, filter);
    // Its start, so that a client that reconnects before any event resumes from here, not from a later head.
    if (given === undefined) response.write(positionMessage(after));
    const done = this.follow(after, sink).finally(() => {
      release();
      this.streams.delete(sink);
    });
    this.streams.set(sink, done);
    await done;
  }

  /** Ends every open stream, so that closing the HTTP server does not wait for clients. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const streams = [...this.streams];
    for (const [sink] of streams) sink.stop();
    await this.tail.stop();
    await Promise.all(
      streams.map(async ([{ sse }, done]) => {
        const { response } = sse;
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

  private async follow(after: number, sink: LiveSink): Promise<void> {
    try {
      await this.tail.follow(after, sink);
    } catch (error) {
      this.logger.error(`stream stopped: ${(error as Error).stack ?? String(error)}`);
    } finally {
      sink.stop();
      if (!sink.sse.response.writableEnded && !this.shuttingDown) sink.sse.response.end();
    }
  }

  /**
   * Looks up the owner of each event's stream of a tracked type as the batch is read, before
   * the tail hands it to anyone: a stream's first event names it, the others come from
   * {@link StreamOwners}' cache (a query per stream it has not seen).
   */
  private async learnOwners(events: StoredEvent[]): Promise<StoredEvent[]> {
    const inBatch = new Map<string, string | undefined>();
    for (const event of events) {
      if (!this.ownedTypes.has(event.streamType)) continue;
      let owner: string | undefined;
      if (inBatch.has(event.streamId)) owner = inBatch.get(event.streamId);
      else if (event.version === 1) owner = event.metadata.actorId;
      else owner = (await this.owners.of(event.streamId))?.ownerId;
      inBatch.set(event.streamId, owner);
      this.ownerOf.set(event, owner);
    }
    return events;
  }

  private toBatch(events: StoredEvent[]): LiveBatch {
    return {
      events,
      owners: events.map((event) => this.ownerOf.get(event)),
      messages: events.map((event) => `id: ${event.position}\ndata: ${JSON.stringify(EventResponse.of(event))}\n\n`),
    };
  }
}
