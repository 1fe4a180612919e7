import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { StoredEvent } from '../store/event-store.js';
import { FollowerFailure, FollowerRetry, failureAt, type FollowerError } from './follower-retry.js';

const envelope = { position: 7, type: 'MoneyDeposited' } as StoredEvent;

describe('FollowerRetry', () => {
  let recorded: FollowerError[];
  let logger: Logger;
  let retry: FollowerRetry;
  beforeEach(() => {
    recorded = [];
    logger = new Logger('test');
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(logger, level).mockImplementation(() => undefined);
    retry = new FollowerRetry(logger, 1_000, async (failure) => void recorded.push(failure));
  });

  it('pauses twice as long after each failure in a row, up to the longest pause, and from the start after a success', async () => {
    const pauses: number[] = [];
    for (let i = 0; i < 5; i++) pauses.push(await retry.failed(new Error('no connection')));
    expect(pauses).toEqual([200, 400, 800, 1_000, 1_000]);
    retry.succeeded();
    expect(logger.log).toHaveBeenCalledWith('recovered');
    expect(await retry.failed(new Error('no connection'))).toBe(200);
  });

  it("records a handler's failure with the event it failed at; only logs other errors", async () => {
    const failure = failureAt(envelope, new Error('duplicate key'));
    expect(failure).toBeInstanceOf(FollowerFailure);
    expect(failure.failure).toEqual({
      position: 7,
      type: 'MoneyDeposited',
      message: 'duplicate key',
      at: expect.any(String),
    });

    await retry.failed(new Error('the log is unreadable'));
    expect(recorded).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith('cannot read the log: the log is unreadable; retrying in 200 ms');
    await retry.failed(failure);
    expect(recorded).toEqual([failure.failure]);
    expect(logger.error).toHaveBeenCalledWith('stopped at position 7 (MoneyDeposited): duplicate key');
  });

  it('retries even when the failure cannot be recorded', async () => {
    retry = new FollowerRetry(logger, 1_000, () => Promise.reject(new Error('database down')));
    expect(await retry.failed(failureAt(envelope, 'not an Error'))).toBe(200);
  });

  it('says nothing of a recovery when nothing failed', () => {
    retry.succeeded();
    expect(logger.log).not.toHaveBeenCalled();
  });
});
