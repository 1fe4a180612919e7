import { AssertionError } from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FOLLOWER, handlersOf, type FollowerMetadata } from '../subscriptions/follower.decorator.js';
import { FollowerDispatch } from '../subscriptions/follower-dispatch.js';
import { FollowerFailure } from '../subscriptions/follower-retry.js';
import type { SpecLog } from './spec-log.js';

/** A spec prints no line per handled event. */
class QuietLogger extends Logger {
  override debug(): void {}
}

/** What a follower is expected to fail with: an error of this class, or with a message that matches. */
export type ExpectedFailure = (abstract new (...args: never[]) => Error) | RegExp;

/** As FOLLOWER_BATCH_SIZE's default. */
const SPEC_BATCH_SIZE = 500;

/** A `@Follower` instance fed a spec's log as a `FollowerLoop` feeds it the store's. */
export class FollowerUnderTest {
  private readonly dispatch: FollowerDispatch;

  /** @throws Error when the instance is no follower, or one of the other kind */
  constructor(
    private readonly follower: object,
    kind: 'projection' | 'process manager',
  ) {
    const metadata = Reflect.getMetadata(FOLLOWER.KEY, follower.constructor) as FollowerMetadata | undefined;
    const name = follower.constructor.name;
    if (!metadata) throw new Error(`${name} is not a follower: it has no @Follower decorator`);
    if (metadata.transactional !== (kind === 'projection')) {
      const [is, spec] = metadata.transactional
        ? ['a projection (transactional)', 'ProjectionSpec']
        : ['a process manager (transactional: false)', 'ProcessManagerSpec'];
      throw new Error(`${name} is ${is}: give it a ${spec}`);
    }
    this.dispatch = new FollowerDispatch(metadata.name, handlersOf(follower), new QuietLogger(metadata.name));
  }

  /**
   * Hands the log after `from` to the follower's handlers in batches of at most `batchSize`,
   * through the dispatch the loop runs.
   * @returns where a handler failed (the loop would stop right before that event), or undefined
   */
  async follow(
    log: SpecLog,
    from: number,
    manager: EntityManager,
    batchSize = SPEC_BATCH_SIZE,
  ): Promise<FollowerFailure | undefined> {
    for await (const batch of log.batches(from, batchSize)) {
      try {
        await this.dispatch.all(batch, manager);
      } catch (error) {
        if (error instanceof FollowerFailure) return error;
        throw error;
      }
    }
    return undefined;
  }

  /** The failure as a spec that expected none reports it. */
  failed({ failure, cause }: FollowerFailure): Error {
    const { position, type, message } = failure;
    return new Error(`${this.follower.constructor.name} failed at position ${position} (${type}): ${message}`, {
      cause,
    });
  }

  /**
   * Asserts that a handler failed, with what was expected.
   * @returns the handler's error
   */
  assertFailed(failure: FollowerFailure | undefined, expected?: ExpectedFailure): unknown {
    const name = this.follower.constructor.name;
    if (!failure) {
      throw new AssertionError({
        message: `Expected ${name} to fail, but it handled every event`,
        operator: 'thenThrows',
      });
    }
    const { cause } = failure;
    const matches =
      expected === undefined ||
      (expected instanceof RegExp ? expected.test(failure.failure.message) : cause instanceof expected);
    if (!matches) {
      const wanted = expected instanceof RegExp ? `a message matching ${expected}` : expected.name;
      throw new AssertionError({
        message: `Expected ${name} to fail with ${wanted}, but ${this.failed(failure).message}`,
        actual: cause,
        expected,
        operator: 'thenThrows',
      });
    }
    return cause;
  }
}
