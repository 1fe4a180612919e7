/**
 * A scenario of transfers for the fault tests that stop app processes while transfers are
 * in flight (test/faults/transfers-crash.e2e-spec.ts, frozen-holder.e2e-spec.ts): accounts,
 * a plan of transfers that meets every path, sending it, and what "exactly once" promises
 * once every transfer settled (API.md, Transfers).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppProcess, Exit } from './app-process.js';
import { call, connectionFailure, expectStatus, inPool, sum, type Reply } from './app-client.js';
import { expectTransfersSettledOnce, expectViewsEqualEventsAndRebuild, settledLog } from './settled-state.js';

/** Requests in flight at a time. */
const IN_FLIGHT = 8;
// Shorter than the Retry-After a 503 names: the test waits for the takeover, not for a person.
const RESEND_AFTER_MS = 200;
const RESENDS_WHEN_BUSY = 100;
/** More than all the money of a test together: a transfer of it fails insufficient_funds for certain. */
const MORE_THAN_ALL_MONEY = 10_000_000;

export interface AccountSetup {
  id: string;
  overdraftLimit: number;
  deposits: number[];
  closed: boolean;
}

/** 20 accounts: 18 funded with one to three deposits of varied amounts (3 with an overdraft), 2 empty and closed. */
export async function openAccounts(apps: AppProcess[], next: () => number): Promise<AccountSetup[]> {
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

export interface PlannedTransfer {
  fromAccountId: string;
  toAccountId: string;
  amount: number;
}

/**
 * Random pairs of the accounts (the closed ones too); about 5% to an account that does not
 * exist, one in 60 from one; every 25th of more than all the money there is, the rest small
 * enough that most go through until a source runs dry.
 */
export function planTransfers(accounts: AccountSetup[], count: number, next: () => number): PlannedTransfer[] {
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
export type Outcome =
  | { kind: 'accepted'; by: string; id: string }
  /** No answer: the connection broke (the instance was killed with the request in flight). */
  | { kind: 'cut'; by: string; error: string }
  | { kind: 'refused'; by: string; status: number; body: unknown };

export async function requestTransfer(
  app: AppProcess,
  transfer: PlannedTransfer,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  let reply: Reply<{ id: string }>;
  try {
    reply = await call<{ id: string }>(app, 'POST', '/transfers', transfer, { headers });
  } catch (error) {
    return { kind: 'cut', by: app.name, error: connectionFailure(error) };
  }
  return reply.status === 202
    ? { kind: 'accepted', by: app.name, id: reply.body.id }
    : { kind: 'refused', by: app.name, status: reply.status, body: reply.body };
}

/**
 * As a client that follows API.md: each transfer with an Idempotency-Key of its own, sent
 * again while the answer is a 503 (the database did not answer in time): a resend answers
 * what the first request stored, if it was stored, so each is requested once.
 */
export async function requestTransferResendingBusy(
  app: AppProcess,
  transfer: PlannedTransfer,
  index: number,
): Promise<Outcome> {
  const headers = { 'Idempotency-Key': `transfer-${index}` };
  for (let sent = 1; ; sent++) {
    const outcome = await requestTransfer(app, transfer, headers);
    if (outcome.kind !== 'refused' || outcome.status !== 503 || sent === RESENDS_WHEN_BUSY) return outcome;
    await sleep(RESEND_AFTER_MS);
  }
}

/**
 * Sends plan[from..to) with IN_FLIGHT requests at a time, to `target(i)`. With `stop`, sends
 * no request from `stop.at` on and runs `stop.then` instead, at once, with the requests
 * before it still in flight.
 */
export async function sendTransfers(
  plan: PlannedTransfer[],
  outcomes: Outcome[],
  range: { from: number; to: number },
  target: (index: number) => AppProcess,
  stop?: { at: number; then: () => Promise<void> },
  send: (app: AppProcess, transfer: PlannedTransfer, index: number) => Promise<Outcome> = (app, transfer) =>
    requestTransfer(app, transfer),
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
      outcomes[index] = await send(target(index), plan[index], index);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await stopping;
  if (stopFailure) throw stopFailure.error;
}

/** Every POST answered 202 or was cut by a kill: any other answer is a bug (a 5xx, a refusal of a valid body). */
export function expectOnlyAcceptedOrCut(outcomes: Outcome[], cutAllowedOn: string[]): void {
  // Array.from: a request never sent leaves a hole, which map and filter would skip.
  const wrong = Array.from(outcomes, (outcome: Outcome | undefined, index) => ({ index, outcome })).filter(
    ({ outcome }) =>
      outcome === undefined ||
      outcome.kind === 'refused' ||
      (outcome.kind === 'cut' && !cutAllowedOn.includes(outcome.by)),
  );
  expect(wrong).toEqual([]);
}

/**
 * Everything "exactly once" promises, read through `app` once every transfer settled:
 * the log holds what the clients were told; each transfer took each step once; money was
 * neither created nor destroyed; the views equal the same views rebuilt from position 0.
 */
export async function expectExactlyOnce(
  app: AppProcess,
  accounts: AccountSetup[],
  plan: PlannedTransfer[],
  outcomes: Outcome[],
): Promise<{ completed: number; failed: number; refunded: number; cut: number; storedCut: number }> {
  const log = await settledLog(app);
  const last = log.at(-1)!.position;

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

  const { completed, failed, refunded, balances, streams } = await expectTransfersSettledOnce(
    app,
    log,
    new Map(accounts.map((a) => [a.id, a])),
  );

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

  await expectViewsEqualEventsAndRebuild(app, balances, streams, last);

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
export async function expectCleanShutdown(app: AppProcess): Promise<void> {
  const exit: Exit = await app.stop('SIGTERM', 15_000);
  expect({ app: app.name, exit }).toEqual({ app: app.name, exit: { code: 0, signal: null } });
}
