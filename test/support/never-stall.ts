import type { AddressInfo } from 'node:net';
import pg from 'pg';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccountsApi } from './accounts-api.js';
import { ordinaryRole } from './ordinary-role.js';
import { SseClient } from './sse-client.js';
import { createTestApp, type TestApp } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { until } from './until.js';

/** A session that opened a transaction and took a transaction id, then sits idle in it. */
export async function idleTransaction(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT txid_current()');
  return client;
}

/**
 * The app on a database of its own, connected as the role that made it or as one that is
 * no superuser and has no pg_read_all_stats; listening, for SSE clients.
 */
export async function appAs(
  ordinary: boolean,
  env: NodeJS.ProcessEnv = {},
): Promise<{ app: TestApp; baseUrl: string; ownerUrl: string; close(): Promise<void> }> {
  const owned = await createTestDatabase({ migrated: true });
  const admin = new pg.Pool({ connectionString: owned.url, max: 1 });
  const role = ordinary ? await ordinaryRole(admin, owned.url) : undefined;
  const database: TestDatabase = role ? { url: role.url, drop: () => Promise.resolve() } : owned;
  const app = await createTestApp({ database, env });
  await app.app.listen(0, '127.0.0.1');
  return {
    app,
    baseUrl: `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`,
    ownerUrl: owned.url,
    close: async () => {
      await app.close();
      await role?.drop();
      await admin.end();
      await owned.drop();
    },
  };
}

/**
 * Deposits for `writeMs` while a transaction that took an id and appended nothing is open
 * in the app's database and in another one, and waits for each deposit's event on an SSE
 * stream, on /notifications and in every follower's checkpoint, and /health/ready to
 * answer 200, all before those transactions end. Returns the delivery latencies (deposit answered to SSE event), in ms.
 */
export async function deliveriesDuringIdleTransactions(
  target: { app: TestApp; baseUrl: string; ownerUrl: string },
  writeMs: number,
): Promise<number[]> {
  const api = new AccountsApi(target.app.http);
  const id = await api.open();
  const other = await createTestDatabase();
  const holders = [await idleTransaction(target.ownerUrl), await idleTransaction(other.url)];
  const stream = await SseClient.open(`${target.baseUrl}/notifications/stream`);
  const acknowledged = new Map<number, number>();
  const received = new Map<number, number>();
  const watch = setInterval(() => {
    for (const event of stream.events()) if (!received.has(event.position)) received.set(event.position, Date.now());
  }, 5);
  try {
    await stream.until((client) => client.messages.length > 0);
    const started = Date.now();
    do {
      const position = (await api.deposited(id, 1)).body.position as number;
      acknowledged.set(position, Date.now());
      await sleep(20);
    } while (Date.now() - started < writeMs);
    const last = Math.max(...acknowledged.keys());

    // All while both transactions are still open.
    await stream.until((client) => client.events().some((event) => event.position === last), 10_000);
    const page = await request(target.app.http)
      .get('/notifications')
      .query({ after: last - 1 });
    const positions = page.body.items.map((event: { position: number }) => event.position);
    if (!positions.includes(last)) throw new Error(`/notifications after ${last - 1} gave ${positions}`);
    await until(
      () => request(target.app.http).get('/projections'),
      (response) => response.body.items.every((item: { checkpoint: number }) => item.checkpoint >= last),
      'every follower read the deposits',
    );
    const ready = await request(target.app.http).get('/health/ready');
    if (ready.status !== 200) throw new Error(`not ready while the transactions were open: ${ready.body.detail}`);
    for (const holder of holders) {
      const { rows } = await holder.query('SELECT txid_current_if_assigned() AS xid');
      if (rows[0].xid === null) throw new Error('an idle transaction ended before the events were delivered');
    }
    for (const event of stream.events()) if (!received.has(event.position)) received.set(event.position, Date.now());
    return [...acknowledged].map(([position, at]) => Math.max(0, received.get(position)! - at));
  } finally {
    clearInterval(watch);
    stream.close();
    for (const holder of holders) {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await other.drop();
  }
}

/** The `share` quantile of `values` (nearest rank). */
export function quantile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}
