import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { SseResponse } from './sse-response.js';

const HEARTBEAT_MS = 1_000;

/** A response whose client takes nothing while `full`: each write then waits for 'drain'. */
function clientResponse() {
  const response = Object.assign(new EventEmitter(), {
    full: false,
    written: [] as string[],
    writableLength: 0,
    write(chunk: string) {
      response.written.push(chunk);
      return !response.full;
    },
    destroy() {},
  });
  return response;
}

describe('SseResponse heartbeats', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends one after heartbeatMs of silence', () => {
    const response = clientResponse();
    const sse = new SseResponse(response as unknown as Response, HEARTBEAT_MS);
    jest.advanceTimersByTime(HEARTBEAT_MS);
    expect(response.written).toEqual([': heartbeat\n\n']);
    sse.stop();
  });

  it('sends none while a write waits for the client to drain, then counts the silence from the drain', async () => {
    const response = clientResponse();
    const sse = new SseResponse(response as unknown as Response, HEARTBEAT_MS);
    response.full = true;
    const writing = sse.write('id: 1\ndata: {}\n\n');
    jest.advanceTimersByTime(HEARTBEAT_MS * 3);
    expect(response.written).toEqual(['id: 1\ndata: {}\n\n']);

    response.full = false;
    response.emit('drain');
    await writing;
    jest.advanceTimersByTime(HEARTBEAT_MS - 1);
    expect(response.written).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(response.written).toEqual(['id: 1\ndata: {}\n\n', ': heartbeat\n\n']);
    sse.stop();
  });
});
