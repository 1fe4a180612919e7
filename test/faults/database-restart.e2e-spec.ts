/**
 * PostgreSQL goes away for 10 seconds while 16 clients send commands
 * (docs/OPERATIONS.md, "Faults we test"). The app runs as a child process on a throwaway
 * server of the test's own, which the test stops and starts again on the same data
 * directory and port. Clients retry a command with the same Idempotency-Key until it is
 * acknowledged, as a well-behaved client does on 503.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBody } from '../support/accounts-api.js';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import {
  call,
  expectAccountListEquals,
  connectionFailure,
  expectRetryLater,
  expectStatus,
  inPool,
  projections,
  random,
  readLog,
  sum,
  type AccountBody,
  type Reply,
} from '../support/app-client.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

const CLIENTS = 16;
const OUTAGE_MS = 10_000;
/** Load before the outage, and after the server is back. */
const LOAD_MS = 2_000;
/** A client's pause before it retries after a 503: shorter than Retry-After, to keep the test short. */
const RETRY_PAUSE_MS = 250;

let postgres: ThrowawayPostgres | undefined;
let app: AppProcess | undefined;

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await postgres?.remove();
});

interface Acknowledged {
  key: string;
  account: string;
  amount: number;
  position: number;
}

describe('the database restarts under load', () => {
  it('answers 503 with Retry-After while it is gone, reconnects, and stores every acknowledged command exactly once', async () => {
    postgres = await ThrowawayPostgres.start();
    const server = postgres;
    // Followers retry a lost database with a doubling pause; cap it so they are back soon after the server.
    app = await startApp({ name: 'app', databaseUrl: server.url, env: { FOLLOWER_MAX_BACKOFF_MS: '1000' } });
    const running = app;
    await withAppOutput(
      () => [running],
      async () => {
        const accounts = await inPool(
          Array.from({ length: CLIENTS }),
          CLIENTS,
          async (_, i) =>
            (await expectStatus<{ id: string }>(running, 'POST', '/accounts', 201, { owner: `Restart ${i}` })).body.id,
        );

        const acknowledged: Acknowledged[] = [];
        const unavailable: Reply<unknown>[] = [];
        const wrong: unknown[] = [];
        let stopping = false;
        const client = async (c: number) => {
          const next = random(1_000 + c);
          for (let n = 0; !stopping; n++) {
            const key = `client-${c}-${n}`;
            const amount = 1 + Math.floor(next() * 10_000);
            // Retry this one command, with its key, until it is acknowledged.
            for (;;) {
              let reply: Reply<{ position: number }>;
              try {
                reply = await call(
                  running,
                  'POST',
                  `/accounts/${accounts[c]}/deposits`,
                  { amount },
                  {
                    headers: { 'Idempotency-Key': key },
                  },
                );
              } catch (error) {
                wrong.push({ key, error: connectionFailure(error) });
                return;
              }
              if (reply.status === 200) {
                acknowledged.push({ key, account: accounts[c], amount, position: reply.body.position });
                break;
              }
              if (reply.status === 503) unavailable.push(reply);
              else wrong.push({ key, status: reply.status, body: reply.body });
              await sleep(RETRY_PAUSE_MS);
            }
          }
        };
        const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

        await sleep(LOAD_MS);
        const beforeOutage = acknowledged.length;
        await server.stop();
        await sleep(OUTAGE_MS);
        expect(running.alive).toBe(true);
        const duringOutage = unavailable.length;
        await server.start();
        await sleep(LOAD_MS);
        stopping = true;
        await load;
        const afterOutage = acknowledged.length - beforeOutage;

        expect(wrong).toEqual([]);
        expect(running.alive).toBe(true);
        expect(duringOutage).toBeGreaterThan(0);
        for (const reply of unavailable) expectRetryLater(reply, 'database-unavailable');
        // The app reconnected by itself and served again.
        expect(afterOutage).toBeGreaterThan(CLIENTS);

        // Exactly once: each acknowledged key has exactly its one event, and nothing else was stored.
        // The log serves an event once every older transaction on the server ended (a follower's batch, say).
        const newest = Math.max(...acknowledged.map((a) => a.position));
        const log = await until(
          () => readLog(running),
          (events) => (events.at(-1)?.position ?? 0) >= newest,
          `the log to reach position ${newest}`,
        );
        const deposits = log.filter((e: EventBody) => e.type === 'MoneyDeposited');
        const byKey = new Map<string, EventBody[]>();
        for (const event of deposits) {
          const key = String(event.metadata.idempotencyKey);
          byKey.set(key, [...(byKey.get(key) ?? []), event]);
        }
        const twice = [...byKey].filter(([, events]) => events.length > 1);
        expect(twice).toEqual([]);
        expect([...byKey.keys()].sort()).toEqual(acknowledged.map((a) => a.key).sort());
        for (const ack of acknowledged) {
          const [event] = byKey.get(ack.key)!;
          expect({ key: ack.key, stream: event.streamId, amount: event.data.amount, position: event.position }).toEqual(
            {
              key: ack.key,
              stream: ack.account,
              amount: ack.amount,
              position: ack.position,
            },
          );
        }

        // Balances are the sums of acknowledged deposits; the followers caught up and agree.
        const balances = await inPool(
          accounts,
          CLIENTS,
          async (id) => (await expectStatus<AccountBody>(running, 'GET', `/accounts/${id}`, 200)).body,
        );
        balances.forEach((account, c) =>
          expect({ id: account.id, balance: account.balance }).toEqual({
            id: accounts[c],
            balance: sum(acknowledged.filter((a) => a.account === accounts[c]).map((a) => a.amount)),
          }),
        );
        const head = log.at(-1)!.position;
        const followers = await until(
          () => projections(running),
          (all) => all.every((f) => f.checkpoint === head && f.lastError === null),
          `every follower to reach position ${head}`,
        );
        expect(followers.map((f) => f.status)).toEqual(followers.map(() => 'live'));
        await expectAccountListEquals(running, balances, head);
        console.info(
          `database restart: ${JSON.stringify({ beforeOutage, afterOutage, unavailable: unavailable.length, head })}`,
        );
      },
    );
  }, 120_000);
});
