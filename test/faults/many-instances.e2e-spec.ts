/**
 * Many app instances on one database (docs/SCALING.md, "Many instances"). Three app
 * processes built from this checkout take mixed load round-robin: accounts opened,
 * deposits, withdrawals, transfers, deposits pinned with If-Match on two hot accounts, and
 * reads that wait for the client's own writes. The instance that runs the followers is
 * killed with SIGKILL mid-load; the survivors must take its followers over (the failover
 * time is printed), and afterwards every follower ran in one instance at a time, money was
 * neither created nor destroyed, every transfer settled once, and the views equal a rebuild.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBody } from '../support/accounts-api.js';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import {
  call,
  connectionFailure,
  expectStatus,
  projections,
  random,
  sum,
  type FollowerStatus,
  type Reply,
} from '../support/app-client.js';
import { samples } from '../support/prometheus.js';
import {
  TRANSFER_PROCESS,
  expectTransfersSettledOnce,
  expectViewsEqualEventsAndRebuild,
  settledLog,
  type KnownAccount,
} from '../support/settled-state.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Lease settings of the instances, short by default; `FOLLOWER_POLL_MS=1000
 * FOLLOWER_LEASE_TIMEOUT_SECONDS=10` runs the test with the app's defaults. A killed
 * process's leases are freed at once whatever the timeout (its kernel closes the
 * connection); the poll is how often an instance without a lease tries to take it,
 * sooner when the log grows.
 */
const POLL_MS = Number(process.env.FOLLOWER_POLL_MS ?? 200);
const LEASE_TIMEOUT_SECONDS = Number(process.env.FOLLOWER_LEASE_TIMEOUT_SECONDS ?? 3);
/**
 * The promise this test keeps, generous for a loaded machine: a dead instance's followers
 * run elsewhere and have caught up with the log as it was at the kill within this.
 */
const FAILOVER_LIMIT_MS = POLL_MS + LEASE_TIMEOUT_SECONDS * 1000 + 10_000;
const WORKERS = 6;
const LOAD_BEFORE_KILL_MS = 5_000;
/** Load goes on this long once the followers have moved, so that the survivors' followers work under it too. */
const LOAD_AFTER_FAILOVER_MS = 2_000;
/** Accounts every worker pays into and out of: the contention optimistic concurrency has to sort out. */
const HOT_ACCOUNTS = 2;
const FUNDED_ACCOUNTS = 14;
const CLOSED_ACCOUNTS = 2;
/** More than all the money of the test: a transfer of it fails insufficient_funds for certain. */
const MORE_THAN_ALL_MONEY = 100_000_000;
/** Tries of one request: a cut connection or a 503 is tried again on the next instance with the same key. */
const MAX_ATTEMPTS = 10;

// ---------------------------------------------------------------------------------------
// The instances, and a client that spreads requests over them as a load balancer would

class Cluster {
  private turn = 0;
  constructor(public alive: AppProcess[]) {}

  next(): AppProcess {
    return this.alive[this.turn++ % this.alive.length];
  }
}

type CommandKind = 'open' | 'deposit' | 'withdrawal' | 'transfer' | 'pinned-deposit' | 'close';

/** One command as the client saw it, once it got an answer. */
interface Sent {
  kind: CommandKind;
  key: string;
  path: string;
  body: Record<string, unknown>;
  status: number;
  reply: Record<string, unknown>;
  by: string;
  /** Why earlier tries got no usable answer (connection cut by the kill, or 503). */
  retried: string[];
}

const commands: Sent[] = [];

/**
 * A POST with an Idempotency-Key, answered by some instance: a try that gets no answer
 * (the instance died with it in flight) or a 503 goes to the next instance with the same
 * key and body, as a client behind a load balancer retries. The key makes the retry safe.
 */
async function command(
  cluster: Cluster,
  kind: CommandKind,
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const key = `many-${randomUUID()}`;
  const retried: string[] = [];
  for (;;) {
    const app = cluster.next();
    let reply: Reply<Record<string, unknown>> | undefined;
    try {
      reply = await call<Record<string, unknown>>(app, 'POST', path, body, {
        headers: { 'Idempotency-Key': key, ...headers },
      });
    } catch (error) {
      retried.push(`${app.name}: ${connectionFailure(error)}`);
    }
    if (reply && reply.status !== 503) {
      const sent = { kind, key, path, body, status: reply.status, reply: reply.body, by: app.name, retried };
      commands.push(sent);
      return sent;
    }
    if (reply) retried.push(`${app.name}: 503 ${JSON.stringify(reply.body)}`);
    if (retried.length >= MAX_ATTEMPTS)
      throw new Error(`POST ${path} got no answer in ${MAX_ATTEMPTS} tries: ${retried}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------
// The load

interface Accounts {
  open: string[];
  closed: string[];
}

/** What reads with minPosition saw: the client's own write, or (allowed, counted) a view still behind after 5 s. */
const reads = { fresh: 0, stale: 0, missing: [] as unknown[] };

async function readOwnWrite(cluster: Cluster, write: Sent): Promise<void> {
  const { id, version, position } = write.reply as { id: string; version: number; position: number };
  const app = cluster.next();
  let reply: Reply<{ items: { position: number }[] }>;
  try {
    reply = await call(app, 'GET', `/accounts/${id}/statement?fromVersion=${version}&minPosition=${position}`);
  } catch {
    return; // The instance was killed with the read in flight: nothing to check.
  }
  expect({ by: app.name, status: reply.status }).toEqual({ by: app.name, status: 200 });
  if (Number(reply.headers.get('x-projection-position')) < position) {
    reads.stale++;
  } else if (reply.body.items.some((line) => line.position === position)) {
    reads.fresh++;
  } else {
    reads.missing.push({ write, by: app.name, read: reply.body });
  }
}

/** One client sending commands one after another until `running()` says stop. */
async function worker(cluster: Cluster, accounts: Accounts, seed: number, running: () => boolean): Promise<void> {
  const next = random(seed);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  const account = () => (next() < 0.4 ? pick(accounts.open.slice(0, HOT_ACCOUNTS)) : pick(accounts.open));
  let lastWrite: Sent | undefined;
  while (running()) {
    const dice = next();
    if (dice < 0.05) {
      const opened = await command(cluster, 'open', '/accounts', { owner: `Many instances ${seed}` });
      if (opened.status === 201) accounts.open.push(opened.reply.id as string);
    } else if (dice < 0.35) {
      const id = account();
      lastWrite = await command(cluster, 'deposit', `/accounts/${id}/deposits`, {
        amount: 1 + Math.floor(next() * 5_000),
      });
    } else if (dice < 0.6) {
      const id = account();
      lastWrite = await command(cluster, 'withdrawal', `/accounts/${id}/withdrawals`, {
        amount: 1 + Math.floor(next() * 8_000),
      });
    } else if (dice < 0.8) {
      // Fewer than the rest: the transfer process handles one event at a time, and a
      // backlog would time it rather than the failover.
      const fromAccountId = next() < 0.03 ? pick(accounts.closed) : account();
      let toAccountId = next() < 0.05 ? randomUUID() : next() < 0.05 ? pick(accounts.closed) : account();
      while (toAccountId === fromAccountId) toAccountId = pick(accounts.open);
      const amount = next() < 0.04 ? MORE_THAN_ALL_MONEY : 1 + Math.floor(next() * 6_000);
      await command(cluster, 'transfer', '/transfers', { fromAccountId, toAccountId, amount });
    } else if (dice < 0.9) {
      // Read the version, then deposit only at that version: other workers often get there first.
      const id = pick(accounts.open.slice(0, HOT_ACCOUNTS));
      let version: number;
      try {
        version = (await expectStatus<{ version: number }>(cluster.next(), 'GET', `/accounts/${id}`, 200)).body.version;
      } catch {
        continue; // Read from the instance being killed.
      }
      const pinned = { 'If-Match': `"${version}"` };
      lastWrite = await command(cluster, 'pinned-deposit', `/accounts/${id}/deposits`, { amount: 1 }, pinned);
    } else if (lastWrite?.status === 200) {
      await readOwnWrite(cluster, lastWrite);
    }
  }
}

/** 14 funded accounts and 2 closed ones, opened before the load. */
async function openAccounts(cluster: Cluster): Promise<Accounts> {
  const accounts: Accounts = { open: [], closed: [] };
  for (let i = 0; i < FUNDED_ACCOUNTS + CLOSED_ACCOUNTS; i++) {
    const opened = await command(cluster, 'open', '/accounts', { owner: `Many instances setup ${i}` });
    expect(opened.status).toBe(201);
    const id = opened.reply.id as string;
    if (i < FUNDED_ACCOUNTS) {
      expect((await command(cluster, 'deposit', `/accounts/${id}/deposits`, { amount: 20_000 })).status).toBe(200);
      accounts.open.push(id);
    } else {
      expect((await command(cluster, 'close', `/accounts/${id}/close`, {})).status).toBe(200);
      accounts.closed.push(id);
    }
  }
  return accounts;
}

// ---------------------------------------------------------------------------------------
// Where the followers run

/** For each follower, the instances that report running it. */
type Placement = Record<string, string[]>;

async function placement(apps: AppProcess[]): Promise<{ placement: Placement; statuses: FollowerStatus[][] }> {
  const statuses = await Promise.all(apps.map(projections));
  const result: Placement = {};
  statuses.forEach((followers, i) => {
    for (const follower of followers) {
      result[follower.name] ??= [];
      if (follower.runningHere) result[follower.name].push(apps[i].name);
    }
  });
  return { placement: result, statuses };
}

/** Samples where the followers run while the load goes on; any follower seen running in two instances at once is kept. */
class PlacementWatch {
  readonly overlaps: Placement[] = [];
  samples = 0;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly cluster: Cluster) {
    this.done = this.watch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      // A copy: the kill takes an instance out of the list meanwhile.
      const apps = [...this.cluster.alive];
      try {
        const now = (await placement(apps)).placement;
        this.samples++;
        if (Object.values(now).some((holders) => holders.length > 1)) this.overlaps.push(now);
      } catch {
        // An instance killed between taking the copy and answering: the next sample counts.
      }
      await sleep(100);
    }
  }
}

interface Failover {
  /** From the kill until every follower the victim ran was running elsewhere, caught up with the log at the kill. */
  failoverMs: number;
  headAtKill: number;
  /** Per follower the victim ran: how far behind the head it was at the kill. */
  lagAtKill: Record<string, number>;
  /** Per follower: from the kill until a survivor reported running it. */
  takeoverMs: Record<string, number>;
  /** Per follower: from the kill until a survivor ran it with its checkpoint at the head at the kill. */
  caughtUpMs: Record<string, number>;
  movedTo: Placement;
}

/**
 * Polls the survivors every 100 ms from the kill on until another instance runs each of
 * `followers` and has processed the log up to its head at the kill.
 */
async function measureFailover(survivors: AppProcess[], followers: string[], killedAt: number): Promise<Failover> {
  const atKill = await projections(survivors[0]);
  const headAtKill = Math.max(...atKill.map((f) => f.checkpoint + f.lagPositions));
  const lagAtKill = Object.fromEntries(
    atKill.filter((f) => followers.includes(f.name)).map((f) => [f.name, headAtKill - f.checkpoint]),
  );
  const takeoverMs: Record<string, number> = {};
  const caughtUpMs: Record<string, number> = {};
  for (;;) {
    const { placement: now, statuses } = await placement(survivors);
    const elapsed = Date.now() - killedAt;
    for (const name of followers) {
      const running = statuses.flat().filter((f) => f.name === name && f.runningHere);
      if (running.length > 0) takeoverMs[name] ??= elapsed;
      if (running.some((f) => f.checkpoint >= headAtKill)) caughtUpMs[name] ??= elapsed;
    }
    if (followers.every((name) => caughtUpMs[name] !== undefined)) {
      const movedTo = Object.fromEntries(followers.map((name) => [name, now[name]]));
      return { failoverMs: elapsed, headAtKill, lagAtKill, takeoverMs, caughtUpMs, movedTo };
    }
    if (elapsed > FAILOVER_LIMIT_MS) {
      throw new Error(
        `The followers ${followers.join(', ')} did not run elsewhere and pass position ${headAtKill} within ` +
          `${FAILOVER_LIMIT_MS} ms of the kill: ${JSON.stringify({ lagAtKill, takeoverMs, caughtUpMs, statuses }, null, 1)}`,
      );
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------
// The invariants, on the settled state

const ALLOWED: Record<CommandKind, number[]> = {
  open: [201],
  deposit: [200],
  close: [200],
  withdrawal: [200, 422],
  transfer: [202],
  'pinned-deposit': [200, 409],
};

/** Every answer is one the contract allows, and every refusal names its reason. */
function expectOnlyAllowedAnswers(): void {
  const wrong = commands.filter((c) => !ALLOWED[c.kind].includes(c.status));
  expect(wrong).toEqual([]);
  for (const refused of commands.filter((c) => c.status === 409 || c.status === 422)) {
    const slug = refused.status === 409 ? 'concurrency-conflict' : 'insufficient-funds';
    expect(refused.reply).toMatchObject({ type: `urn:chronicle:problem:${slug}`, status: refused.status });
  }
}

/**
 * The log holds one event for every acknowledged command, the one it answered with, and
 * none for a refused one: nothing acknowledged was lost or stored twice, also for the
 * commands whose first try died with the killed instance.
 */
function expectLogHoldsAcknowledged(log: EventBody[]): void {
  const byKey = new Map<string, EventBody[]>();
  for (const event of log) {
    const key = event.metadata.idempotencyKey;
    if (typeof key === 'string' && key.startsWith('many-')) byKey.set(key, [...(byKey.get(key) ?? []), event]);
  }
  const acknowledged = commands.filter((c) => c.status < 300);
  const problems = commands.flatMap((c): object[] => {
    const stored = byKey.get(c.key) ?? [];
    if (c.status >= 300) return stored.length === 0 ? [] : [{ refusedYetStored: c, stored }];
    if (stored.length !== 1) return [{ acknowledgedButStored: stored.length, command: c }];
    const [event] = stored;
    const matches =
      event.position === c.reply.position &&
      event.streamId === c.reply.id &&
      (c.body.amount === undefined || event.data.amount === c.body.amount);
    return matches ? [] : [{ answeredOtherThanStored: c, stored: event }];
  });
  expect(problems).toEqual([]);
  expect(byKey.size).toBe(acknowledged.length);
}

/** Sum of every balance = acknowledged deposits - acknowledged withdrawals; each balance is its own commands plus transfers. */
function expectMoneyConserved(
  balances: { id: string; balance: number }[],
  completed: { fromAccountId: string; toAccountId: string; amount: number }[],
): { deposited: number; withdrawn: number } {
  const acknowledged = (kind: CommandKind, id?: string) =>
    sum(
      commands
        .filter((c) => c.status === 200 && (c.kind === kind || (kind === 'deposit' && c.kind === 'pinned-deposit')))
        .filter((c) => id === undefined || c.reply.id === id)
        .map((c) => c.body.amount as number),
    );
  const deposited = acknowledged('deposit');
  const withdrawn = acknowledged('withdrawal');
  expect(sum(balances.map((b) => b.balance))).toBe(deposited - withdrawn);
  for (const { id, balance } of balances) {
    const out = sum(completed.filter((t) => t.fromAccountId === id).map((t) => t.amount));
    const into = sum(completed.filter((t) => t.toAccountId === id).map((t) => t.amount));
    expect({ id, balance }).toEqual({
      id,
      balance: acknowledged('deposit', id) - acknowledged('withdrawal', id) - out + into,
    });
    expect(balance).toBeGreaterThanOrEqual(0);
  }
  return { deposited, withdrawn };
}

// ---------------------------------------------------------------------------------------

const apps: AppProcess[] = [];
let database: TestDatabase | undefined;

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await database?.drop();
});

describe('three instances on one database, the one running the followers killed under load', () => {
  it('moves its followers to a survivor within seconds; money is conserved, every transfer settles once, views equal a rebuild', async () => {
    database = await createTestDatabase();
    const url = database.url;
    await withAppOutput(
      () => apps,
      async () => {
        const started = Date.now();
        // One after the other: each runs the migrations at start, under a lock.
        for (const name of ['instance-a', 'instance-b', 'instance-c']) {
          apps.push(
            await startApp({
              name,
              databaseUrl: url,
              env: {
                FOLLOWER_POLL_MS: String(POLL_MS),
                FOLLOWER_LEASE_TIMEOUT_SECONDS: String(LEASE_TIMEOUT_SECONDS),
                DATABASE_POOL_SIZE: '10',
              },
            }),
          );
        }
        const cluster = new Cluster([...apps]);
        const accounts = await openAccounts(cluster);

        // Every follower runs in exactly one instance before the load starts.
        let before = (await placement(apps)).placement;
        for (const deadline = Date.now() + FAILOVER_LIMIT_MS; ; await sleep(100)) {
          before = (await placement(apps)).placement;
          if (Object.values(before).every((holders) => holders.length === 1)) break;
          if (Date.now() > deadline) throw new Error(`Followers not placed once each: ${JSON.stringify(before)}`);
        }
        // The instance running the transfer process, and the followers it runs with it.
        const victim = apps.find((app) => app.name === before[TRANSFER_PROCESS][0])!;
        const victimRuns = Object.keys(before).filter((name) => before[name][0] === victim.name);

        let loading = true;
        const watch = new PlacementWatch(cluster);
        const load = Promise.all(
          Array.from({ length: WORKERS }, (_, w) => worker(cluster, accounts, 6_151 + w, () => loading)),
        );

        await sleep(LOAD_BEFORE_KILL_MS);
        const sentBeforeKill = commands.length;
        cluster.alive = apps.filter((app) => app !== victim);
        const killed = victim.stop('SIGKILL');
        const killedAt = Date.now();
        await killed;
        let failover: Failover;
        try {
          failover = await measureFailover(cluster.alive, victimRuns, killedAt);
          await sleep(LOAD_AFTER_FAILOVER_MS);
        } finally {
          loading = false;
          await Promise.allSettled([load, watch.stop()]);
        }
        await load;

        // Settled: every transfer ended and every follower processed the whole log.
        const survivor = cluster.alive[0];
        const log = await settledLog(survivor);
        const after = (await placement(cluster.alive)).placement;

        expectOnlyAllowedAnswers();
        expectLogHoldsAcknowledged(log);
        const known = new Map<string, KnownAccount>([
          ...accounts.open.map((id) => [id, { closed: false }] as const),
          ...accounts.closed.map((id) => [id, { closed: true }] as const),
        ]);
        const settled = await expectTransfersSettledOnce(survivor, log, known);
        const money = expectMoneyConserved(settled.balances, settled.completed);
        await expectViewsEqualEventsAndRebuild(survivor, settled.balances, settled.streams, log.at(-1)!.position);

        // One instance at a time ran each follower, all along; now each runs in one survivor.
        expect({ overlaps: watch.overlaps, samplesTaken: watch.samples > 10 }).toEqual({
          overlaps: [],
          samplesTaken: true,
        });
        expect(Object.values(after).map((holders) => holders.length)).toEqual(Object.keys(after).map(() => 1));
        // Reads waited for the client's own write and saw it, unless the view was still behind after 5 s.
        expect(reads.missing).toEqual([]);
        expect(reads.fresh).toBeGreaterThan(0);

        // The load did what it is for: requests cut by the kill and tried again, conflicts
        // answered 409 under If-Match and retried on fresh state otherwise, transfers on each path.
        const cut = commands.filter((c) => c.retried.length > 0);
        const pinned409 = commands.filter((c) => c.kind === 'pinned-deposit' && c.status === 409).length;
        const retries = sum(
          await Promise.all(
            cluster.alive.map(async (app) =>
              // One sample per stream type that had a retry, none before the first: sum them.
              sum(
                samples(
                  (await expectStatus<string>(app, 'GET', '/metrics', 200)).body,
                  'chronicle_command_retries_total',
                ).map((sample) => sample.value),
              ),
            ),
          ),
        );
        expect({
          pinned409: pinned409 > 0,
          retries: retries > 0,
          commandsAfterKill: commands.length > sentBeforeKill,
        }).toEqual({
          pinned409: true,
          retries: true,
          commandsAfterKill: true,
        });
        expect({ completed: settled.completed.length > 0, failed: settled.failed.length > 0 }).toEqual({
          completed: true,
          failed: true,
        });
        expect(failover.failoverMs).toBeLessThan(FAILOVER_LIMIT_MS);

        console.info(
          `many instances: ${JSON.stringify({
            followersBefore: before,
            killed: victim.name,
            ...failover,
            followersAfter: after,
            pollMs: POLL_MS,
            leaseTimeoutSeconds: LEASE_TIMEOUT_SECONDS,
            commands: commands.length,
            cutAndRetried: cut.length,
            pinned409,
            commandRetries: retries,
            transfers: {
              completed: settled.completed.length,
              failed: settled.failed.length,
              refunded: settled.refunded,
            },
            ...money,
            reads,
            placementSamples: watch.samples,
            events: log.length,
          })} in ${Date.now() - started} ms`,
        );
      },
    );
  }, 180_000);
});
