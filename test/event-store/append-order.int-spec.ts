import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '#event-sourcing/domain';
import type { NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

// Two appends of one stream issued by one process, the second without waiting for the first,
// are written in the order issued, however each goes out: alone, in either of the two groups
// in flight, or as a large append on its own (docs/PERFORMANCE.md, "Appends sent together").
let store: PostgresEventStore;
let drop: () => Promise<void>;

beforeAll(async () => {
  let pool;
  ({ pool, drop } = await createMigratedDatabase());
  store = new PostgresEventStore(pool);
});
afterAll(() => drop());

const PAIRS = 200;
// Pairs in flight at once: enough that groups form beside appends going out alone.
const LANES = 4;
const LARGE = 50;

const events = (count: number): NewEvent[] => Array.from({ length: count }, () => newEvent());

it.each([
  ['expected versions', 1, 1, true],
  ['expected versions and a large second append', 1, LARGE, true],
  ['expected versions and a large first append', LARGE, 1, true],
  ["expected version 'any'", 1, 1, false],
  ["expected version 'any' and a large second append", 1, LARGE, false],
])(`writes ${PAIRS} pairs with %s in the order issued, refusing none`, async (_, firstSize, secondSize, versioned) => {
  let refused = 0;
  let reversed = 0;
  const pair = async () => {
    const streamId = `pair-${randomUUID()}`;
    const first = events(firstSize);
    const second = events(secondSize);
    const outcomes = await Promise.allSettled([
      store.append({ streamId, streamType: 'Thing', expectedVersion: versioned ? 0 : 'any', events: first }),
      store.append({ streamId, streamType: 'Thing', expectedVersion: versioned ? firstSize : 'any', events: second }),
    ]);
    const failed = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    for (const error of failed) if (!(error instanceof ConcurrencyError)) throw error;
    refused += failed.length;
    const stored = await store.readStream(streamId);
    if (failed.length === 0 && stored[0].id !== first[0].id) reversed++;
  };
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      for (let done = 0; done < PAIRS / LANES; done++) await pair();
    }),
  );
  expect({ refused, reversed }).toEqual({ refused: 0, reversed: 0 });
});
