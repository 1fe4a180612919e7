import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { IdempotencySweeper } from './idempotency-sweeper.js';
import type { EventStore } from './event-store.js';

/** A store with `expired` records to delete, or one whose deletes fail. */
function storeWith(expired: number | Error): { store: EventStore; limits: number[] } {
  const limits: number[] = [];
  let left = typeof expired === 'number' ? expired : 0;
  const store = {
    deleteExpiredIdempotencyRecords: async (limit: number) => {
      limits.push(limit);
      if (expired instanceof Error) throw expired;
      const deleted = Math.min(limit, left);
      left -= deleted;
      return deleted;
    },
  } as unknown as EventStore;
  return { store, limits };
}

describe('IdempotencySweeper', () => {
  const settings = { everyMs: 60_000, batch: 10, maxBatches: 3 };

  it('deletes in batches until one comes back short', async () => {
    const { store, limits } = storeWith(25);
    expect(await new IdempotencySweeper(store, settings).sweep()).toBe(25);
    expect(limits).toEqual([10, 10, 10]);
  });

  it('stops after maxBatches, leaving the rest to the next sweep', async () => {
    const { store, limits } = storeWith(45);
    const sweeper = new IdempotencySweeper(store, settings);
    expect(await sweeper.sweep()).toBe(30);
    expect(limits).toHaveLength(3);
    expect(await sweeper.sweep()).toBe(15);
  });

  it('runs one sweep at a time', async () => {
    const { store, limits } = storeWith(5);
    const sweeper = new IdempotencySweeper(store, settings);
    const [a, b] = [sweeper.sweep(), sweeper.sweep()];
    expect(await a).toBe(5);
    expect(await b).toBe(5);
    expect(limits).toEqual([10]);
  });

  it('logs a failed sweep and answers what it deleted, for the next one to try again', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { store } = storeWith(new Error('connection refused'));
    await expect(new IdempotencySweeper(store, settings).sweep()).resolves.toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connection refused'));
    warn.mockRestore();
  });
});
