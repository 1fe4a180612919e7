import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { PersonalDataKeys } from '#event-sourcing';
import { createMigratedDatabase } from '../support/test-database.js';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (database = await createMigratedDatabase()));
afterAll(() => database.drop());

/** The real pool, counting the key lookups sent through it. */
function countingLookups(pool: pg.Pool) {
  const sent = { lookups: 0 };
  const counted = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (config: { name?: string }, ...rest: unknown[]) => {
        if (config?.name === 'chronicle_find_subject_keys') sent.lookups++;
        return (target.query as (...args: unknown[]) => unknown)(config, ...rest);
      };
    },
  });
  return { keys: new PersonalDataKeys(counted), sent };
}

const subject = () => `subject-${randomUUID()}`;

describe('PersonalDataKeys lookups', () => {
  it('sends lookups asked for together as one query, and answers each with its own subjects only', async () => {
    const { keys, sent } = countingLookups(database.pool);
    const [a, b, erased, unknown] = [subject(), subject(), subject(), subject()];
    const created = await keys.obtain([a, b, erased]);
    await keys.erase(erased);
    sent.lookups = 0;

    const [forA, forB, forErased] = await Promise.all([keys.find([a]), keys.find([b, unknown]), keys.find([erased])]);

    expect(sent.lookups).toBe(1);
    expect(forA).toEqual(new Map([[a, created.get(a)]]));
    expect(forB).toEqual(new Map([[b, created.get(b)]]));
    expect(forErased).toEqual(new Map([[erased, null]]));
  });

  it('answers a lookup asked for while one is in flight from a later query, which sees an erasure made meanwhile', async () => {
    const { keys, sent } = countingLookups(database.pool);
    const one = subject();
    await keys.obtain([one]);
    sent.lookups = 0;

    const inFlight = keys.find([one]);
    await keys.erase(one);
    const after = await keys.find([one]);

    expect((await inFlight).has(one)).toBe(true);
    expect(after.get(one)).toBeNull();
    expect(sent.lookups).toBe(2);
  });

  it('fails every lookup of a query that fails, and sends the next ones as usual', async () => {
    const { keys } = countingLookups(database.pool);
    const fine = subject();
    const created = await keys.obtain([fine]);

    // PostgreSQL refuses a NUL character in text: the shared query fails for both callers.
    const failed = await Promise.allSettled([keys.find(['bad\u0000subject']), keys.find([fine])]);

    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(await keys.find([fine])).toEqual(new Map([[fine, created.get(fine)]]));
  });
});
