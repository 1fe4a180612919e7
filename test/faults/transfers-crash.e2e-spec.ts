/**
 * Exactly-once transfers across crashes (API.md, Transfers: "Every transfer reaches
 * `completed` or `failed`, exactly once, also across restarts and crashes: money is never
 * created or destroyed"). The app runs as child processes built from this checkout
 * (`node dist/src/main.js`) on a database of its own, and is killed with SIGKILL while
 * transfers are in flight: once with a restart on the same database, once with a second
 * instance that has to take the transfer process over.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { projections, random, readLog } from '../support/app-client.js';
import { TRANSFER_PROCESS, unsettled } from '../support/settled-state.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  expectCleanShutdown,
  expectExactlyOnce,
  expectOnlyAcceptedOrCut,
  openAccounts,
  planTransfers,
  sendTransfers,
  type Outcome,
} from '../support/transfer-scenario.js';

/** How long a surviving instance may take to run the transfer process of a killed one. */
const TAKEOVER_LIMIT_MS = 10_000;

// ---------------------------------------------------------------------------------------

let apps: AppProcess[] = [];
const databases: TestDatabase[] = [];

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterEach(async () => {
  await killAllApps();
  apps = [];
});

afterAll(async () => {
  await killAllApps();
  await Promise.all(databases.map((database) => database.drop()));
});

async function database(): Promise<TestDatabase> {
  const created = await createTestDatabase();
  databases.push(created);
  return created;
}

async function start(name: string, url: string): Promise<AppProcess> {
  const app = await startApp({ name, databaseUrl: url });
  apps.push(app);
  return app;
}

describe('transfers are exactly-once across SIGKILL (the app as child processes)', () => {
  it('a crash with 300 transfers in flight, then a restart on the same database: every transfer settles once', async () => {
    const db = await database();
    await withAppOutput(
      () => apps,
      async () => {
        const started = Date.now();
        const first = await start('first', db.url);
        const next = random(20_261_127);
        const accounts = await openAccounts([first], next);
        const plan = planTransfers(accounts, 300, next);
        const outcomes: Outcome[] = new Array(plan.length);
        const half = plan.length / 2;

        await sendTransfers(plan, outcomes, { from: 0, to: plan.length }, () => first, {
          at: half,
          then: () => first.stop('SIGKILL').then(() => undefined),
        });
        expect(first.alive).toBe(false);
        expectOnlyAcceptedOrCut(outcomes.slice(0, half), [first.name]);

        const second = await start('second', db.url);
        // The kill left transfers half done, or it tested nothing.
        const unfinished = unsettled(await readLog(second)).length;
        expect(unfinished).toBeGreaterThan(0);
        await sendTransfers(plan, outcomes, { from: half, to: plan.length }, () => second);
        expectOnlyAcceptedOrCut(outcomes, [first.name]);

        const result = await expectExactlyOnce(second, accounts, plan, outcomes);
        await expectCleanShutdown(second);
        console.info(
          `crash and restart: ${JSON.stringify({ ...result, unfinishedAtRestart: unfinished })} ` +
            `in ${Date.now() - started} ms`,
        );
      },
    );
  }, 150_000);

  it('two instances, one killed mid-way: the other takes the transfer process over and every transfer settles once', async () => {
    const db = await database();
    await withAppOutput(
      () => apps,
      async () => {
        const started = Date.now();
        // One after the other: both would otherwise run the migrations at once.
        const pair = [await start('instance-a', db.url), await start('instance-b', db.url)];
        const next = random(77_031_415);
        const accounts = await openAccounts(pair, next);
        const plan = planTransfers(accounts, 200, next);
        const outcomes: Outcome[] = new Array(plan.length);
        const half = plan.length / 2;

        // Each follower runs in exactly one of the two instances.
        const holders = async () => {
          const [a, b] = await Promise.all(pair.map(projections));
          return a.map((f, i) => ({ name: f.name, a: f.runningHere, b: b[i].runningHere }));
        };
        for (const deadline = Date.now() + TAKEOVER_LIMIT_MS; ;) {
          const now = await holders();
          expect(now.filter((f) => f.a && f.b)).toEqual([]);
          if (now.every((f) => f.a !== f.b)) break;
          if (Date.now() > deadline) throw new Error(`Followers that run nowhere: ${JSON.stringify(now)}`);
          await sleep(100);
        }

        // A lease stays where it is while its holder lives: the victim is known before the kill,
        // which then comes at once, with requests to both instances in flight.
        const manager = (await holders()).find((f) => f.name === TRANSFER_PROCESS)!;
        const victim = manager.a ? pair[0] : pair[1];
        const survivor = manager.a ? pair[1] : pair[0];
        let killedAt = 0;
        await sendTransfers(plan, outcomes, { from: 0, to: plan.length }, (i) => pair[i % 2], {
          at: half,
          then: async () => {
            const killed = victim.stop('SIGKILL');
            killedAt = Date.now();
            await killed;
          },
        });
        expect(victim.alive).toBe(false);
        expectOnlyAcceptedOrCut(outcomes.slice(0, half), [victim.name]);

        // The survivor takes over every follower the victim ran, the transfer process first of all.
        let takeoverMs = -1;
        for (;;) {
          const followers = await projections(survivor);
          if (takeoverMs < 0 && followers.find((f) => f.name === TRANSFER_PROCESS)?.runningHere) {
            takeoverMs = Date.now() - killedAt;
          }
          if (followers.every((f) => f.runningHere)) break;
          if (Date.now() - killedAt > TAKEOVER_LIMIT_MS) {
            throw new Error(
              `${survivor.name} did not run every follower within ${TAKEOVER_LIMIT_MS} ms of the kill: ` +
                JSON.stringify(followers, null, 1),
            );
          }
          await sleep(50);
        }
        expect(takeoverMs).toBeGreaterThanOrEqual(0);
        expect(takeoverMs).toBeLessThan(TAKEOVER_LIMIT_MS);
        const unfinished = unsettled(await readLog(survivor)).length;
        expect(unfinished).toBeGreaterThan(0);

        await sendTransfers(plan, outcomes, { from: half, to: plan.length }, () => survivor);
        expectOnlyAcceptedOrCut(outcomes, [victim.name]);

        const result = await expectExactlyOnce(survivor, accounts, plan, outcomes);
        await expectCleanShutdown(survivor);
        console.info(
          `two instances, ${victim.name} killed: ${JSON.stringify({ ...result, takeoverMs, unfinished })} ` +
            `in ${Date.now() - started} ms`,
        );
      },
    );
  }, 150_000);
});
