import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBody } from './accounts-api.js';
import type { AppProcess } from './app-process.js';
import { call, expectStatus, inPool, projections, readLog, type AccountBody } from './app-client.js';

/**
 * The state of the example contexts (accounts, transfers) read through the API of an app
 * process once the load on it has stopped, and the invariants every transfer promises
 * (API.md, Transfers): for the fault tests that kill app processes under load.
 */

/** Requests in flight at a time while reading. */
const IN_FLIGHT = 8;
const VIEWS = ['account-summaries', 'account-statements'];
export const TRANSFER_PROCESS = 'transfer-process';
/** How long every transfer in the log gets to complete or fail once the last one was sent. */
const SETTLE_TIMEOUT_MS = 60_000;

export interface TransferBody {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  status: string;
  reason?: string;
  version: number;
}

export interface StatementLine {
  version: number;
  position: number;
  kind: string;
  amount: number;
  balanceAfter: number;
  transferId: string | null;
  recordedAt: string;
}

/** Transfer ids in the log with a TransferRequested but no TransferCompleted or TransferFailed. */
export function unsettled(log: EventBody[]): string[] {
  const ended = new Set(
    log.filter((e) => e.type === 'TransferCompleted' || e.type === 'TransferFailed').map((e) => e.streamId),
  );
  return log.filter((e) => e.type === 'TransferRequested' && !ended.has(e.streamId)).map((e) => e.streamId);
}

/**
 * Waits until every transfer the log holds has completed or failed, then until the log
 * holds every stored event (the log serves an event once every older transaction on the
 * server ended) and every follower has processed it; returns the whole log.
 */
export async function settledLog(app: AppProcess, timeoutMs = SETTLE_TIMEOUT_MS): Promise<EventBody[]> {
  const deadline = Date.now() + timeoutMs;
  const log: EventBody[] = [];
  for (;;) {
    log.push(...(await readLog(app, log.at(-1)?.position ?? 0)));
    const stuck = unsettled(log);
    if (stuck.length === 0) break;
    if (Date.now() > deadline) {
      const shown = await Promise.all(
        stuck.slice(0, 25).map(async (id) => JSON.stringify((await call(app, 'GET', `/transfers/${id}`)).body)),
      );
      throw new Error(
        `${stuck.length} of ${log.filter((e) => e.type === 'TransferRequested').length} transfers in the log ` +
          `did not complete or fail within ${timeoutMs} ms. Stuck (GET /transfers/{id}):\n${shown.join('\n')}\n` +
          `GET /projections on ${app.name}: ${JSON.stringify(await projections(app), null, 1)}`,
      );
    }
    await sleep(250);
  }
  for (;;) {
    const followers = await projections(app);
    const head = followers[0].checkpoint + followers[0].lagPositions;
    log.push(...(await readLog(app, log.at(-1)?.position ?? 0)));
    const caughtUp = followers.every((f) => f.lagPositions === 0 && f.lastError === null);
    if (caughtUp && log.at(-1)!.position >= head) return log;
    if (Date.now() > deadline) {
      throw new Error(
        `The followers or the log did not reach position ${head} within ${timeoutMs} ms (log at ` +
          `${log.at(-1)?.position}): ${JSON.stringify(followers, null, 1)}`,
      );
    }
    await sleep(100);
  }
}

export async function accountEvents(app: AppProcess, id: string): Promise<EventBody[]> {
  const events: EventBody[] = [];
  for (;;) {
    const page = await expectStatus<{ items: EventBody[] }>(
      app,
      'GET',
      `/accounts/${id}/events?fromVersion=${events.length + 1}&limit=1000`,
      200,
    );
    events.push(...page.body.items);
    if (page.body.items.length < 1000) return events;
  }
}

/** GET /accounts, the account-summaries view, once it has processed `position`. */
async function summaryView(app: AppProcess, position: number): Promise<AccountBody[]> {
  const reply = await expectStatus<{ items: AccountBody[]; nextCursor: string | null }>(
    app,
    'GET',
    `/accounts?limit=1000&minPosition=${position}`,
    200,
  );
  expect(Number(reply.headers.get('x-projection-position'))).toBeGreaterThanOrEqual(position);
  expect(reply.body.nextCursor).toBeNull();
  return reply.body.items;
}

/** GET /accounts/{id}/statement, the account-statements view, once it has processed `position`. */
async function statementView(app: AppProcess, id: string, position: number): Promise<StatementLine[]> {
  const lines: StatementLine[] = [];
  for (;;) {
    const fromVersion = (lines.at(-1)?.version ?? 0) + 1;
    const reply = await expectStatus<{ items: StatementLine[] }>(
      app,
      'GET',
      `/accounts/${id}/statement?fromVersion=${fromVersion}&limit=1000&minPosition=${position}`,
      200,
    );
    expect(Number(reply.headers.get('x-projection-position'))).toBeGreaterThanOrEqual(position);
    lines.push(...reply.body.items);
    if (reply.body.items.length < 1000) return lines;
  }
}

/** The statement an account's events call for: one line per money movement, with the running balance. */
export function statementOf(events: EventBody[]): StatementLine[] {
  const kinds: Record<string, [kind: string, sign: number]> = {
    MoneyDeposited: ['deposit', 1],
    MoneyWithdrawn: ['withdrawal', -1],
    TransferSent: ['transfer-out', -1],
    TransferReceived: ['transfer-in', 1],
    TransferRefunded: ['refund', 1],
  };
  let balance = 0;
  return events
    .filter((e) => kinds[e.type])
    .map((e) => {
      const [kind, sign] = kinds[e.type];
      const amount = sign * (e.data.amount as number);
      balance += amount;
      return {
        version: e.version,
        position: e.position,
        kind,
        amount,
        balanceAfter: balance,
        transferId: (e.data.transferId as string | undefined) ?? null,
        recordedAt: e.recordedAt,
      };
    });
}

/** Both views as they are now. */
async function views(app: AppProcess, accountIds: string[], position: number) {
  return {
    summaries: await summaryView(app, position),
    statements: Object.fromEntries(
      await inPool(accountIds, IN_FLIGHT, async (id) => [id, await statementView(app, id, position)] as const),
    ),
  };
}

/** Rebuilds both views from position 0 and waits until the new tables serve (bounded). */
async function rebuildViews(app: AppProcess, timeoutMs = 60_000): Promise<void> {
  const before = new Map((await projections(app)).map((f) => [f.name, f]));
  for (const name of VIEWS) {
    const reply = await expectStatus<{ name: string; status: string }>(
      app,
      'POST',
      `/projections/${name}/rebuild`,
      202,
    );
    expect(reply.body).toEqual({ name, status: 'rebuilding' });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = (await projections(app)).filter((f) => VIEWS.includes(f.name));
    if (now.every((f) => !f.rebuildingHere)) {
      for (const view of now) {
        // A rebuild that failed only logs; one that switched over moved the checkpoint row.
        if (!(view.updatedAt > before.get(view.name)!.updatedAt)) await sleep(1_000); // the log line on its way
        expect(app.output()).not.toContain(`rebuild of ${view.name} failed`);
        expect({ name: view.name, switchedOver: view.updatedAt > before.get(view.name)!.updatedAt }).toEqual({
          name: view.name,
          switchedOver: true,
        });
        expect(view).toMatchObject({ lastError: null, status: 'live' });
      }
      return;
    }
    if (Date.now() > deadline) throw new Error(`Rebuilds still running after ${timeoutMs} ms: ${JSON.stringify(now)}`);
    await sleep(100);
  }
}

/** An account of the test as far as transfers care: whether it was closed before any transfer was sent. */
export interface KnownAccount {
  closed: boolean;
}

export interface SettledTransfers {
  transfers: TransferBody[];
  completed: TransferBody[];
  failed: TransferBody[];
  /** Transfers that failed after the debit, so the source got its money back. */
  refunded: number;
  /** GET /accounts/{id} of every known account, in the order of `accounts`. */
  balances: AccountBody[];
  /** Every event of every known account, in the same order. */
  streams: EventBody[][];
}

/**
 * Each transfer in the settled `log` took one of its three paths, once: its own stream,
 * GET /transfers/{id} and the steps on the accounts' streams agree, no step was taken
 * twice, and a failure names the reason the accounts call for. Transfers may name
 * accounts that are not in `accounts` (unknown ids); the log holds no other account.
 */
export async function expectTransfersSettledOnce(
  app: AppProcess,
  log: EventBody[],
  accounts: ReadonlyMap<string, KnownAccount>,
): Promise<SettledTransfers> {
  // No account appeared from a transfer to or from an unknown id.
  expect(new Set(log.filter((e) => e.streamType === 'Account').map((e) => e.streamId))).toEqual(
    new Set(accounts.keys()),
  );
  const requested = log.filter((e) => e.type === 'TransferRequested');

  // Each transfer's own stream took one of the three paths, once.
  const byStream = new Map<string, EventBody[]>();
  for (const event of log.filter((e) => e.streamType === 'Transfer')) {
    byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
  }
  expect([...byStream.keys()].sort()).toEqual(requested.map((e) => e.streamId).sort());
  const paths = [...byStream.values()].map((events) => events.map((e) => e.type).join(' '));
  const wrongPaths = paths.filter(
    (path) =>
      ![
        'TransferRequested TransferFailed',
        'TransferRequested TransferDebited TransferFailed',
        'TransferRequested TransferDebited TransferCompleted',
      ].includes(path),
  );
  expect(wrongPaths).toEqual([]);

  // GET /transfers/{id} agrees with the log.
  const transfers = await inPool(
    requested,
    IN_FLIGHT,
    async (event) => (await expectStatus<TransferBody>(app, 'GET', `/transfers/${event.streamId}`, 200)).body,
  );
  transfers.forEach((transfer, i) => {
    const events = byStream.get(transfer.id)!;
    expect(transfer).toMatchObject({
      ...requested[i].data,
      status: events.at(-1)!.type === 'TransferCompleted' ? 'completed' : 'failed',
      version: events.length,
    });
    if (transfer.status === 'failed') expect(transfer.reason).toBe(events.at(-1)!.data.reason);
  });
  const completed = transfers.filter((t) => t.status === 'completed');
  const failed = transfers.filter((t) => t.status === 'failed');

  // Each transfer's steps on the accounts, read from the accounts' own streams.
  const ids = [...accounts.keys()];
  const balances = await inPool(
    ids,
    IN_FLIGHT,
    async (id) => (await expectStatus<AccountBody>(app, 'GET', `/accounts/${id}`, 200)).body,
  );
  const streams = await inPool(ids, IN_FLIGHT, (id) => accountEvents(app, id));
  const steps = new Map<string, EventBody[]>();
  for (const event of streams.flat()) {
    if (typeof event.data.transferId !== 'string') continue;
    steps.set(event.data.transferId, [...(steps.get(event.data.transferId) ?? []), event]);
  }
  expect([...steps.keys()].filter((id) => !byStream.has(id))).toEqual([]);
  const problems: unknown[] = [];
  let refunded = 0;
  for (const transfer of transfers) {
    const mine = steps.get(transfer.id) ?? [];
    const of = (type: string) => mine.filter((e) => e.type === type);
    const [sent, received, refunds, delivered] = [
      of('TransferSent'),
      of('TransferReceived'),
      of('TransferRefunded'),
      of('TransferDelivered'),
    ];
    const debited = byStream.get(transfer.id)!.some((e) => e.type === 'TransferDebited');
    const from = accounts.get(transfer.fromAccountId);
    const to = accounts.get(transfer.toAccountId);
    const problem = (what: string) => problems.push({ what, transfer, steps: mine });
    if (sent.length > 1 || received.length > 1 || refunds.length > 1 || delivered.length > 1) {
      problem('a step taken twice');
    }
    if (delivered.some((e) => e.streamId !== transfer.fromAccountId)) problem('TransferDelivered on another account');
    if (sent.some((e) => e.streamId !== transfer.fromAccountId || e.data.amount !== transfer.amount))
      problem('TransferSent on the wrong account or of another amount');
    if (received.some((e) => e.streamId !== transfer.toAccountId || e.data.amount !== transfer.amount))
      problem('TransferReceived on the wrong account or of another amount');
    if (refunds.some((e) => e.streamId !== transfer.fromAccountId || e.data.amount !== transfer.amount))
      problem('TransferRefunded on the wrong account or of another amount');
    if (debited !== (sent.length === 1)) problem('TransferDebited without TransferSent, or the other way round');
    if (transfer.status === 'completed') {
      if (sent.length !== 1 || received.length !== 1 || refunds.length !== 0 || delivered.length !== 1)
        problem('completed without exactly one TransferSent, TransferReceived and TransferDelivered');
      if (!from || from.closed || !to || to.closed) problem('completed to or from a closed or unknown account');
    } else if (sent.length === 0) {
      if (received.length + refunds.length + delivered.length !== 0) {
        problem('failed before the debit, yet received, refunded or delivered');
      }
      const expected = !from ? 'account_not_found' : from.closed ? 'account_closed' : 'insufficient_funds';
      if (transfer.reason !== expected) problem(`failed before the debit with ${transfer.reason}, not ${expected}`);
    } else {
      refunded++;
      if (refunds.length !== 1 || received.length + delivered.length !== 0) {
        problem('failed after the debit without exactly one refund, or delivered');
      }
      const expected = !to ? 'account_not_found' : to.closed ? 'account_closed' : undefined;
      if (transfer.reason !== expected || refunds[0]?.data.reason !== expected)
        problem(`refunded with ${transfer.reason}, expected ${expected}`);
    }
  }
  expect(problems).toEqual([]);
  return { transfers, completed, failed, refunded, balances, streams };
}

/**
 * No event was applied twice or missed by the views, read once they processed `last`: the
 * account list equals `balances` (GET /accounts/{id} of each account), each statement
 * equals what its account's events (`streams`, same order) call for, and both views equal
 * themselves rebuilt from position 0.
 */
export async function expectViewsEqualEventsAndRebuild(
  app: AppProcess,
  balances: AccountBody[],
  streams: EventBody[][],
  last: number,
): Promise<void> {
  const ids = balances.map((b) => b.id);
  const byId = (a: AccountBody, b: AccountBody) => a.id.localeCompare(b.id);
  const live = await views(app, ids, last);
  expect(live.summaries).toEqual([...balances].sort(byId));
  ids.forEach((id, i) => {
    expect({ account: id, statement: live.statements[id] }).toEqual({
      account: id,
      statement: statementOf(streams[i]),
    });
  });
  await rebuildViews(app);
  const rebuilt = await views(app, ids, last);
  expect(rebuilt.summaries).toEqual(live.summaries);
  expect(rebuilt.statements).toEqual(live.statements);
  const afterRebuild = await inPool(
    ids,
    IN_FLIGHT,
    async (id) => (await expectStatus<AccountBody>(app, 'GET', `/accounts/${id}`, 200)).body,
  );
  expect(rebuilt.summaries).toEqual(afterRebuild.sort(byId));
}
