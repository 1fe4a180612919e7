import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { EventStore, type AppendResult, type NewEvent } from '#event-sourcing';
import type { TestApp } from './test-app.js';

/** An event as the HTTP API serves it (API.md, "Event"). */
export interface EventBody {
  id: string;
  position: number;
  streamId: string;
  streamType: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

/**
 * Appends events to a stream through the app's own EventStore, as a command's repository
 * does, for tests of the log and its readers that need events but no domain.
 */
export function appendEvents(app: TestApp, streamId: string, ...events: NewEvent[]): Promise<AppendResult> {
  return app.app.get(EventStore).append({ streamId, streamType: 'Thing', expectedVersion: 'any', events });
}

/** The notification log from the start, following `next` until a page comes back empty. */
export async function wholeLog(http: Server): Promise<EventBody[]> {
  const items: EventBody[] = [];
  for (let after = 0; ;) {
    const response = await request(http).get('/notifications').query({ after, limit: 1000 });
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
    if (response.body.items.length === 0) return items;
    items.push(...response.body.items);
    after = response.body.next;
  }
}

/**
 * The log once it holds the event at `position`. The log only serves events of
 * transactions older than every running one on the server, and test files on other
 * databases of the same server write concurrently, so an acknowledged event may take
 * a moment to show: on a loaded machine, more than 5 s was seen. The bound only ends a
 * wait that would never end; a log that catches up returns at once.
 */
export async function logThrough(http: Server, position: number, timeoutMs = 30_000): Promise<EventBody[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await wholeLog(http);
    if (log.some((e) => e.position === position)) return log;
    if (Date.now() > deadline) throw new Error(`The notification log did not reach position ${position}`);
    await sleep(20);
  }
}
