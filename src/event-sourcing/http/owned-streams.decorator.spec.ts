import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { StreamOwners } from '../application/stream-owners.js';
import { AggregateNotFoundError } from '../domain/errors.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { OwnedStreamGuard, OwnedStreams } from './owned-streams.decorator.js';
import { setRequestActor } from './request-actor.js';

const ALICES = 'account-of-alice';
const TRANSFER = 'transfer-of-alice';
const UNOWNED = 'account-opened-without-auth';

@OwnedStreams('Account')
class Routes {
  byParam(): void {}
  @OwnedStreams('Account', { body: 'from' })
  byBody(): void {}
}

describe('OwnedStreamGuard', () => {
  const store = new InMemoryEventStore();
  const guard = new OwnedStreamGuard(new Reflector(), new StreamOwners(store));
  const open = (streamId: string, streamType: string, actorId?: string) =>
    store.append({
      streamId,
      streamType,
      expectedVersion: 0,
      events: [
        {
          id: crypto.randomUUID(),
          type: 'Opened',
          schemaVersion: 1,
          data: {},
          metadata: { correlationId: 'c', causationId: 'c', ...(actorId === undefined ? {} : { actorId }) },
        },
      ],
    });
  beforeAll(async () => {
    await open(ALICES, 'Account', 'alice');
    await open(TRANSFER, 'Transfer', 'alice');
    await open(UNOWNED, 'Account');
  });

  /** Whether the guard lets a request through to `route`; a refusal throws. */
  function check(route: 'byParam' | 'byBody', id: unknown, actor?: { id: string; actsForAnyOwner?: boolean }) {
    const request = { params: route === 'byParam' ? { id } : {}, body: route === 'byBody' ? { from: id } : {} };
    if (actor) setRequestActor(request as unknown as Request, actor.id, actor);
    const context = {
      getHandler: () => Routes.prototype[route],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    return guard.canActivate(context);
  }

  it("lets the owner through and answers anyone else the 404 of a missing stream of the route's type", async () => {
    await expect(check('byParam', ALICES, { id: 'alice' })).resolves.toBe(true);
    await expect(check('byParam', ALICES, { id: 'bob' })).rejects.toEqual(
      new AggregateNotFoundError('Account', ALICES),
    );
    await expect(check('byBody', ALICES, { id: 'bob' })).rejects.toEqual(new AggregateNotFoundError('Account', ALICES));
  });

  it('lets every request through with no actor (authentication off), and an actor that acts for any owner', async () => {
    await expect(check('byParam', ALICES)).resolves.toBe(true);
    await expect(check('byParam', ALICES, { id: 'teller', actsForAnyOwner: true })).resolves.toBe(true);
    await expect(check('byParam', UNOWNED, { id: 'teller', actsForAnyOwner: true })).resolves.toBe(true);
  });

  it('refuses every subject a stream created without an actor, and a stream of another type under its id', async () => {
    await expect(check('byParam', UNOWNED, { id: 'alice' })).rejects.toBeInstanceOf(AggregateNotFoundError);
    await expect(check('byParam', TRANSFER, { id: 'alice' })).rejects.toEqual(
      new AggregateNotFoundError('Account', TRANSFER),
    );
  });

  it('leaves a missing path id to the route (404, or 400 when malformed), but refuses a missing body id: no command checks it', async () => {
    await expect(check('byParam', 'no-such-stream', { id: 'bob' })).resolves.toBe(true);
    await expect(check('byBody', 'no-such-stream', { id: 'bob' })).rejects.toBeInstanceOf(AggregateNotFoundError);
  });

  it.each([
    ['no id', undefined],
    ['a number', 42],
    ['an empty string', ''],
    ['text with NUL', 'nul\0byte'],
  ])("leaves %s to the route's validation", async (_, id) => {
    await expect(check('byBody', id, { id: 'bob' })).resolves.toBe(true);
  });

  it("reads a stream's owner once: its first event never changes", async () => {
    const owners = new StreamOwners(store);
    const reads = jest.spyOn(store, 'readStream');
    await owners.of(ALICES);
    await owners.of(ALICES);
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
  });
});
