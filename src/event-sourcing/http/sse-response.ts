import type { Response } from 'express';
import type { TailSink } from '../subscriptions/log-tail.js';

/**
 * How much a live stream may still have unsent when the next batch of the log comes (the
 * kernel's socket buffers aside). Past it the client cannot keep up with the log: its
 * connection is cut rather than buffered without bound, and EventSource reconnects with
 * Last-Event-ID, missing nothing. So a stream holds at most this plus one batch.
 */
export const MAX_UNSENT_BYTES = 1024 * 1024;

const HEARTBEAT = ': heartbeat\n\n';

/**
 * One client's open `text/event-stream` response, as a sink of the log tail: it sends a
 * heartbeat comment (the text `heartbeat` gives) after `heartbeatMs` without a message, so
 * that proxies keep the connection.
 */
export class SseResponse implements TailSink<string> {
  readonly closed: Promise<void>;
  private stopped = false;
  private markClosed!: () => void;
  private lastWrite = Date.now();
  private beat?: NodeJS.Timeout;
  // A write waiting for the client to take what it was sent: the stream is busy, not silent.
  private draining = false;

  constructor(
    readonly response: Response,
    private readonly heartbeatMs: number,
    private readonly heartbeat: () => string = () => HEARTBEAT,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    response.once('close', () => this.stop());
    this.beatIn(heartbeatMs);
  }

  get open(): boolean {
    return !this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.beat);
    this.markClosed();
  }

  async write(chunk: string): Promise<void> {
    if (this.stopped) return;
    this.lastWrite = Date.now();
    if (!this.response.write(chunk)) {
      this.draining = true;
      await Promise.race([new Promise((resolve) => this.response.once('drain', resolve)), this.closed]);
      this.draining = false;
      this.lastWrite = Date.now();
    }
  }

  push(chunk: string): void {
    if (this.stopped) return;
    // Judged before the write: one batch of large events may exceed the bound on its own.
    if (this.response.writableLength > MAX_UNSENT_BYTES) {
      this.stop();
      this.response.destroy();
      return;
    }
    this.lastWrite = Date.now();
    this.response.write(chunk);
  }

  // One timer per stream, re-armed only when it fires, not on every message.
  private beatIn(ms: number): void {
    this.beat = setTimeout(() => {
      if (this.silentMs() >= this.heartbeatMs) this.push(this.heartbeat());
      if (!this.stopped) this.beatIn(Math.max(1, this.heartbeatMs - this.silentMs()));
    }, ms);
  }

  // A write that waits is not silence: a heartbeat would go out between the events of one catch-up.
  private silentMs(): number {
    return this.draining ? 0 : Date.now() - this.lastWrite;
  }
}
