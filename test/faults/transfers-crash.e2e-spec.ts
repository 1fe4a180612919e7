/**
 * Exactly-once transfers across crashes (API.md, Transfers: "Every transfer reaches
 * `completed` or `failed`, exactly once, also across restarts and crashes: money is never
 * created or destroyed"). The app runs as child processes built from this checkout
 * (`node dist/src/main.js`) on a database of its own, and is killed with SIGKILL while
 * transfers are in flight: once with a restart on the same database, once with a second
 * instance that has to take the transfer process over.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess, type Exit } from '../support/app-process.js';
import type { EventBody } from '../support/accounts-api.js';
import {
  call,
  connectionFailure,
  expectStatus,
  inPool,
  projections,
  random,
  readLog,
  sum,
  type AccountBody,
  type Reply,
} from '../support/app-client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** Requests in flight at a time. */
const IN_FLIGHT = 8;
/** More than all the money of a test together: a transfer of it fails insufficient_funds for certain. */
const MORE_THAN_ALL_MONEY = 10_000_000;
const VIEWS = ['account-summaries', 'account-statements'];
const TRANSFER_PROCESS = 'transfer-process';
/** How long every transfer in the log gets to complete or fail once the last one was sent. */
const SETTLE_TIMEOUT_MS = 60_000;
/** How long a surviving instance may take to run the transfer process of a killed one. */
const TAKEOVER_LIMIT_MS = 10_000;

// ---------------------------------------------------------------------------------------
// The scenario: accounts, a plan of transfers, and sending it

interface AccountSetup {
  id: string;
  overdraftLimit: number;
  deposits: number[];
  closed: boolean;
}

/** 20 accounts: 18 funded with one to three deposits of varied amounts (3 with an overdraft), 2 empty and closed. */
async function openAccounts(apps: AppProcess[], next: () => number): Promise<AccountSetup[]> {
  const specs = Array.from({ length: 20 }, (_, i) => {
    const funded = i < 18;
    return {
      i,
      funded,
      overdraftLimit: funded && i % 6 === 0 ? 5_000 : 0,
      deposits: funded ? Array.from({ length: 1 + (i % 3) }, () => 2_000 + Math.floor(next() * 30_000)) : [],
    };
  });
  return inPool(specs, IN_FLIGHT, async ({ i, funded, overdraftLimit, deposits }) => {
    const app = apps[i % apps.length];
    const opened = await expectStatus<{ id: string }>(app, 'POST', '/accounts', 201, {
      owner: `Crash test ${i}`,
      overdraftLimit,
    });
    const id = opened.body.id;
    for (const amount of deposits) await expectStatus(app, 'POST', `/accounts/${id}/deposits`, 200, { amount });
    if (!funded) await expectStatus(app, 'POST', `/accounts/${id}/close`, 200);
    return { id, overdraftLimit, deposits, closed: !funded };
  });
}

interface PlannedTransfer {
  fromAccountId: string;
  toAccountId: string;
  amount: number;
}

/**
 * Random pairs of the accounts (the closed ones too); about 5% to an account that does not
 * exist, one in 60 from one; every 25th of more than all the money there is, the rest small
 * enough that most go through until a source runs dry.
 */
function planTransfers(accounts: AccountSetup[], count: number, next: () => number): PlannedTransfer[] {
  const ids = accounts.map((a) => a.id);
  const pick = () => ids[Math.floor(next() * ids.length)];
  return Array.from({ length: count }, (_, i) => {
    const fromUnknown = i % 60 === 7;
    const fromAccountId = fromUnknown ? randomUUID() : pick();
    let toAccountId = pick();
    if (!fromUnknown && next() < 0.05) toAccountId = randomUUID();
    else while (toAccountId === fromAccountId) toAccountId = pick();
    const amount = i % 25 === 3 ? MORE_THAN_ALL_MONEY : 1 + Math.floor(next() ** 2 * 15_000);
    return { fromAccountId, toAccountId, amount };
  });
}

/** What became of one POST /transfers. */
type Outcome =
  | { kind: 'accepted'; by: string; id: string }
  /** No answer: the connection broke (the instance was killed with the request in flight). */
  | { kind: 'cut'; by: string; error: string }
  | { kind: 'refused'; by: string; status: number; body: unknown };

async function requestTransfer(app: AppProcess, transfer: PlannedTransfer): Promise<Outcome> {
  let reply: Reply<{ id: string }>;
  try {
    reply = await call<{ id: string }>(app, 'POST', '/transfers', transfer);
  } catch (error) {
    return { kind: 'cut', by: app.name, error: connectionFailure(error) };
  }
  return reply.status === 202
    ? { kind: 'accepted', by: app.name, id: reply.body.id }
    : { kind: 'refused', by: app.name, status: reply.status, body: reply.body };
}

/**
 * Sends plan[from..to) with IN_FLIGHT requests at a time, to `target(i)`. With `stop`, sends
 * no request from `stop.at` on and runs `stop.then` instead, at once, with the requests
 * before it still in flight.
 */
async function sendTransfers(
  plan: PlannedTransfer[],
  outcomes: Outcome[],
  range: { from: number; to: number },
  target: (index: number) => AppProcess,
  stop?: { at: number; then: () => Promise<void> },
): Promise<void> {
  let next = range.from;
  let stopping: Promise<unknown> | undefined;
  let stopFailure: { error: unknown } | undefined;
  const worker = async () => {
    for (;;) {
      if (stop && next >= stop.at) {
        stopping ??= stop.then().catch((error: unknown) => (stopFailure = { error }));
        return;
      }
      if (next >= range.to) return;
      const index = next++;
      outcomes[index] = await requestTransfer(target(index), plan[index]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await stopping;
  if (stopFailure) throw stopFailure.error;
}

/** Every POST answered 202 or was cut by a kill: any other answer is a bug (a 5xx, a refusal of a valid body). */
function expectOnlyAcceptedOrCut(outcomes: Outcome[], cutAllowedOn: string[]): void {
  // Array.from: a request never sent leaves a hole, which map and filter would skip.
  const wrong = Array.from(outcomes, (outcome: Outcome | undefined, index) => ({ index, outcome })).filter(
    ({ outcome }) =>
      outcome === undefined ||
      outcome.kind === 'refused' ||
      (outcome.kind === 'cut' && !cutAllowedOn.includes(outcome.by)),
  );
  expect(wrong).toEqual([]);
}

// ---------------------------------------------------------------------------------------
// Reading the outcome through the API

/** Transfer ids in the log with a TransferRequested but no TransferCompleted or TransferFailed. */
function unsettled(log: EventBody[]): string[] {
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
async function settledLog(app: AppProcess, timeoutMs = SETTLE_TIMEOUT_MS): Promise<EventBody[]> {
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

interface TransferBody {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  status: string;
  reason?: string;
  version: number;
}

interface StatementLine {
  version: number;
  position: number;
  kind: string;
  amount: number;
  balanceAfter: number;
  transferId: string | null;
  recordedAt: string;
}

async function accountEvents(app: AppProcess, id: string): Promise<EventBody[]> {
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
function statementOf(events: EventBody[]): StatementLine[] {
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
async function views(app: AppProcess, accounts: AccountSetup[], position: number) {
  return {
    summaries: await summaryView(app, position),
    statements: Object.fromEntries(
      await inPool(accounts, IN_FLIGHT, async (a) => [a.id, await statementView(app, a.id, position)] as const),
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

// ---------------------------------------------------------------------------------------
// The invariants

/**
 * Everything "exactly once" promises, read through `app` once every transfer settled:
 * the log holds what the clients were told; each transfer took each step once; money was
 * neither created nor destroyed; the views equal the same views rebuilt from position 0.
 */
async function expectExactlyOnce(
  app: AppProcess,
  accounts: AccountSetup[],
  plan: PlannedTransfer[],
  outcomes: Outcome[],
): Promise<{ completed: number; failed: number; refunded: number; cut: number; storedCut: number }> {
  const log = await settledLog(app);
  const last = log.at(-1)!.position;
  const known = new Map(accounts.map((a) => [a.id, a]));

  // No account appeared from a transfer to or from an unknown id.
  expect(new Set(log.filter((e) => e.streamType === 'Account').map((e) => e.streamId))).toEqual(new Set(known.keys()));

  // The log holds every acknowledged transfer, and otherwise only requests cut by a kill.
  const requested = log.filter((e) => e.type === 'TransferRequested');
  const requestedIds = requested.map((e) => e.streamId);
  expect(new Set(requestedIds).size).toBe(requestedIds.length);
  const accepted = outcomes.filter((o) => o.kind === 'accepted').map((o) => o.id);
  expect(requestedIds).toEqual(expect.arrayContaining(accepted));
  const acceptedSet = new Set(accepted);
  const cut = outcomes.map((o, i) => ({ o, planned: plan[i] })).filter(({ o }) => o.kind === 'cut');
  const unclaimed = [...cut];
  const unexplained: unknown[] = [];
  for (const event of requested.filter((e) => !acceptedSet.has(e.streamId))) {
    const match = unclaimed.findIndex(({ planned }) =>
      Object.entries(planned).every(([field, value]) => event.data[field] === value),
    );
    if (match === -1) unexplained.push(event);
    else unclaimed.splice(match, 1);
  }
  expect(unexplained).toEqual([]);
  const storedCut = requested.length - accepted.length;

  // Each transfer's own stream took one of the three paths, once.
  const byStream = new Map<string, EventBody[]>();
  for (const event of log.filter((e) => e.streamType === 'Transfer')) {
    byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
  }
  expect([...byStream.keys()].sort()).toEqual([...requestedIds].sort());
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
  const balances = await inPool(
    accounts,
    IN_FLIGHT,
    async (a) => (await expectStatus<AccountBody>(app, 'GET', `/accounts/${a.id}`, 200)).body,
  );
  const streams = await inPool(accounts, IN_FLIGHT, (a) => accountEvents(app, a.id));
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
    const [sent, received, refunds] = [of('TransferSent'), of('TransferReceived'), of('TransferRefunded')];
    const debited = byStream.get(transfer.id)!.some((e) => e.type === 'TransferDebited');
    const from = known.get(transfer.fromAccountId);
    const to = known.get(transfer.toAccountId);
    const problem = (what: string) => problems.push({ what, transfer, steps: mine });
    if (sent.length > 1 || received.length > 1 || refunds.length > 1) problem('a step taken twice');
    if (sent.some((e) => e.streamId !== transfer.fromAccountId || e.data.amount !== transfer.amount))
      problem('TransferSent on the wrong account or of another amount');
    if (received.some((e) => e.streamId !== transfer.toAccountId || e.data.amount !== transfer.amount))
      problem('TransferReceived on the wrong account or of another amount');
    if (refunds.some((e) => e.streamId !== transfer.fromAccountId || e.data.amount !== transfer.amount))
      problem('TransferRefunded on the wrong account or of another amount');
    if (debited !== (sent.length === 1)) problem('TransferDebited without TransferSent, or the other way round');
    if (transfer.status === 'completed') {
      if (sent.length !== 1 || received.length !== 1 || refunds.length !== 0)
        problem('completed without exactly one TransferSent and one TransferReceived');
      if (!from || from.closed || !to || to.closed) problem('completed to or from a closed or unknown account');
    } else if (sent.length === 0) {
      if (received.length + refunds.length !== 0) problem('failed before the debit, yet received or refunded');
      const expected = !from ? 'account_not_found' : from.closed ? 'account_closed' : 'insufficient_funds';
      if (transfer.reason !== expected) problem(`failed before the debit with ${transfer.reason}, not ${expected}`);
    } else {
      refunded++;
      if (refunds.length !== 1 || received.length !== 0) problem('failed after the debit without exactly one refund');
      const expected = !to ? 'account_not_found' : to.closed ? 'account_closed' : undefined;
      if (transfer.reason !== expected || refunds[0]?.data.reason !== expected)
        problem(`refunded with ${transfer.reason}, expected ${expected}`);
    }
  }
  expect(problems).toEqual([]);

  // Money is neither created nor destroyed, and each balance is what the transfers say.
  const deposits = accounts.map((a) => sum(a.deposits));
  expect(sum(balances.map((b) => b.balance))).toBe(sum(deposits));
  accounts.forEach((account, i) => {
    const out = sum(completed.filter((t) => t.fromAccountId === account.id).map((t) => t.amount));
    const into = sum(completed.filter((t) => t.toAccountId === account.id).map((t) => t.amount));
    expect({ account: account.id, balance: balances[i].balance }).toEqual({
      account: account.id,
      balance: deposits[i] - out + into,
    });
    expect(balances[i].balance).toBeGreaterThanOrEqual(-account.overdraftLimit);
    expect(balances[i].status).toBe(account.closed ? 'closed' : 'open');
  });

  // No event applied twice or missed by the views: they match the events, and equal
  // themselves rebuilt from position 0.
  const byId = (a: AccountBody, b: AccountBody) => a.id.localeCompare(b.id);
  const live = await views(app, accounts, last);
  expect(live.summaries).toEqual([...balances].sort(byId));
  accounts.forEach((account, i) => {
    expect({ account: account.id, statement: live.statements[account.id] }).toEqual({
      account: account.id,
      statement: statementOf(streams[i]),
    });
  });
  await rebuildViews(app);
  const rebuilt = await views(app, accounts, last);
  expect(rebuilt.summaries).toEqual(live.summaries);
  expect(rebuilt.statements).toEqual(live.statements);
  const afterRebuild = await inPool(
    accounts,
    IN_FLIGHT,
    async (a) => (await expectStatus<AccountBody>(app, 'GET', `/accounts/${a.id}`, 200)).body,
  );
  expect(rebuilt.summaries).toEqual(afterRebuild.sort(byId));

  // The plan met every path, so the checks above checked something.
  const reasons = new Set(failed.map((t) => t.reason));
  expect({ completed: completed.length > 0, refunded: refunded > 0, reasons: [...reasons].sort() }).toEqual({
    completed: true,
    refunded: true,
    reasons: ['account_closed', 'account_not_found', 'insufficient_funds'],
  });
  return { completed: completed.length, failed: failed.length, refunded, cut: cut.length, storedCut };
}

/** SIGTERM shuts an instance down cleanly: exit code 0, in time. */
async function expectCleanShutdown(app: AppProcess): Promise<void> {
  const exit: Exit = await app.stop('SIGTERM', 15_000);
  expect({ app: app.name, exit }).toEqual({ app: app.name, exit: { code: 0, signal: null } });
}

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
