/**
 * The relay and the reporting consumer, in an app process that is SIGKILLed again and
 * again while another instance takes a load of deposits and withdrawals; then killed once
 * more and restarted with its relay checkpoint set back (as if the checkpoint moves of
 * many published batches had been lost) and the durable consumer deleted (as if every ack
 * had been lost). At the end every event is in JetStream exactly once by message id, the
 * inbox holds each consumed event once, and the report equals what the log implies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DAILY_TOTALS } from '../../src/contexts/reporting/infrastructure/daily-totals/daily-totals.consumer.js';
import { NATS_RELAY } from '../../src/broker/relay/nats-relay.follower.js';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { call, expectStatus, inPool, random, readLog } from '../support/app-client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitUntil } from '../followers/followers-harness.js';
import { dailyTotalsOf, type DailyTotalBody } from './daily-totals.js';
import { JetStreamProbe, NATS_URL, uniqueStream } from './jetstream-harness.js';

const ACCOUNTS = 30;
const COMMANDS = 1_600;
const WORKERS = 8;
const KILLS = 4;
const CURRENCIES = ['EUR', 'USD', 'GBP'];
const CONSUMED = ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn'];

const stream = uniqueStream();
let db: TestDatabase | undefined;
let sql: pg.Client | undefined;
let probe: JetStreamProbe | undefined;
const apps: AppProcess[] = [];

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await sql?.end().catch(() => undefined);
  await probe?.close(stream);
  await db?.drop();
});

describe('the relay process SIGKILLed under load', () => {
  it('puts every event in JetStream once, and the report applies each once', async () => {
    db = await createTestDatabase();
    probe = await JetStreamProbe.open();
    const startRelay = async () => {
      const app = await startApp({
        name: `relay-${apps.length}`,
        databaseUrl: db!.url,
        env: { NATS_URL, NATS_STREAM: stream, FOLLOWER_BATCH_SIZE: '100' },
      });
      apps.push(app);
      return app;
    };
    await withAppOutput(
      () => apps,
      async () => {
        const started = Date.now();
        const next = random(60_606);
        // Takes the load and runs no follower: killing the relay never interrupts the writes.
        const writer = await startApp({
          name: 'writer',
          databaseUrl: db!.url,
          env: { FOLLOWERS: 'off', LOG_LEVEL: 'warn' },
        });
        apps.push(writer);
        let relay = await startRelay();

        const accounts = await inPool(Array.from({ length: ACCOUNTS }), WORKERS, async (_, i) => {
          const { body } = await expectStatus<{ id: string }>(writer, 'POST', '/accounts', 201, {
            owner: `Load ${i}`,
            currency: CURRENCIES[i % CURRENCIES.length],
          });
          return body.id;
        });
        const wrong: unknown[] = [];
        const load = inPool(Array.from({ length: COMMANDS }), WORKERS, async () => {
          const account = accounts[Math.floor(next() * accounts.length)];
          const kind = next() < 0.6 ? 'deposits' : 'withdrawals';
          const reply = await call(writer, 'POST', `/accounts/${account}/${kind}`, {
            amount: 1 + Math.floor(next() * 5_000),
          });
          // A withdrawal may find too little money; nothing else may fail.
          if (reply.status !== 200 && !(reply.status === 422 && kind === 'withdrawals')) wrong.push(reply);
        });
        for (let kill = 0; kill < KILLS; kill++) {
          await sleep(300 + Math.floor(next() * 700));
          await relay.stop('SIGKILL');
          relay = await startRelay();
        }
        await load;
        expect(wrong).toEqual([]);

        sql = new pg.Client({ connectionString: db!.url });
        await sql.connect();
        const client = sql;
        const { rows } = await client.query<{ head: string }>('SELECT max(position) AS head FROM events');
        const head = Number(rows[0].head);

        // Killed once more, and restarted as if the second half of the log had been published
        // but never checkpointed, and as if the consumer's acks had all been lost.
        await waitUntil(
          'the relay to reach the head',
          () => checkpoint(client),
          (position) => position === head,
          60_000,
        );
        await relay.stop('SIGKILL');
        const half = Math.floor(head / 2);
        await client.query('UPDATE followers SET position = $2 WHERE name = $1', [NATS_RELAY, half]);
        await probe!.manager.consumers.delete(stream, DAILY_TOTALS);
        await startRelay();

        const log = await waitUntil(
          `the log to serve position ${head}`,
          () => readLog(writer),
          (events) => events.at(-1)?.position === head,
          30_000,
        );
        const consumed = log.filter((e) => e.streamType === 'Account' && CONSUMED.includes(e.type));
        await waitUntil(
          'the relay to reach the head',
          () => checkpoint(client),
          (position) => position === head,
          60_000,
        );
        await waitUntil(
          'the inbox to hold every consumed event',
          async () =>
            (
              await client.query<{ n: number }>('SELECT count(*)::int AS n FROM broker_inbox WHERE consumer = $1', [
                DAILY_TOTALS,
              ])
            ).rows[0].n,
          (n) => n >= consumed.length,
          60_000,
        );

        // JetStream: every event of the log, once, in log order.
        const ids = await probe!.messageIds(stream);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual(log.map((e) => e.id));

        // The inbox: each consumed event once, nothing else.
        const { rows: inbox } = await client.query<{ event_id: string }>(
          'SELECT event_id FROM broker_inbox WHERE consumer = $1 ORDER BY position',
          [DAILY_TOTALS],
        );
        expect(inbox.map((r) => r.event_id)).toEqual(consumed.map((e) => e.id));

        // The report, exact: no movement counted twice or lost.
        const expected = dailyTotalsOf(log);
        const report = await waitUntil(
          'the report to equal what the log implies',
          async () =>
            (await expectStatus<{ items: DailyTotalBody[] }>(writer, 'GET', '/reports/daily-totals?limit=1000', 200))
              .body.items,
          (items) => JSON.stringify(items) === JSON.stringify(expected),
        );
        expect(report).toEqual(expected);

        const dropped = apps
          .flatMap((app) => [...app.output().matchAll(/JetStream dropped (\d+) repeated events/g)])
          .reduce((sum, match) => sum + Number(match[1]), 0);
        expect(dropped).toBeGreaterThanOrEqual(head - half);
        console.info(
          `relay crash: ${JSON.stringify({ events: log.length, consumed: consumed.length, kills: KILLS + 1, droppedRepeats: dropped })} in ${Date.now() - started} ms`,
        );
      },
    );
  }, 240_000);
});

async function checkpoint(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ position: string }>('SELECT position FROM followers WHERE name = $1', [
    NATS_RELAY,
  ]);
  return rows.length === 0 ? 0 : Number(rows[0].position);
}
