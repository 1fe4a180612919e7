import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import type { EventBody } from './notification-log.js';

interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events client that parses the stream as EventSource would, on a
 * connection of its own (no agent), so that no pooled socket outlives it.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** What EventSource would send as Last-Event-ID if it reconnected now: set by every `id:` line once its message ends, with data or without. */
  lastEventId = '';
  private idBuffer = '';
  /** Resolves when the server ends the stream (true) or the connection fails (false); once reading. */
  ended: Promise<boolean> = new Promise(() => undefined);
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly request: ClientRequest,
    readonly response: IncomingMessage,
  ) {}

  /** `paused`: the client reads nothing until {@link resume}, as one that cannot keep up. */
  static async open(
    url: string,
    headers: Record<string, string> = {},
    { localAddress, paused = false }: { localAddress?: string; paused?: boolean } = {},
  ): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const options = { agent: false, localAddress, headers: { Accept: 'text/event-stream', ...headers } };
      const request = get(url, options, (response) => {
        const client = new SseClient(request, response);
        if (!paused) client.resume();
        resolve(client);
      });
      request.once('error', reject);
    });
  }

  resume(): void {
    this.ended = this.read();
  }

  close(): void {
    this.request.destroy();
  }

  /** Waits until `done` holds of what arrived so far. */
  async until(done: (client: SseClient) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No such message in ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The events of the log it was sent: the data of its `message` events. */
  events(): EventBody[] {
    return this.messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data) as EventBody);
  }

  private async read(): Promise<boolean> {
    let buffer = '';
    let message: SseMessage = { event: 'message', data: '' };
    let hasData = false;
    this.response.setEncoding('utf8');
    try {
      for await (const chunk of this.response) {
        buffer += chunk as string;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            this.lastEventId = this.idBuffer;
            if (hasData) this.messages.push({ ...message, data: message.data.replace(/\n$/, '') });
            message = { event: 'message', data: '' };
            hasData = false;
          } else if (line.startsWith(':')) {
            this.comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') {
              message.data += `${value}\n`;
              hasData = true;
            } else if (field === 'id') {
              message.id = value;
              this.idBuffer = value;
            } else if (field === 'event') message.event = value;
          }
        }
        this.notify();
      }
      return this.response.complete;
    } catch {
      return false;
    } finally {
      this.notify();
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
