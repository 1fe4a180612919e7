import autocannon from 'autocannon';
import type { BenchDatabase, FreshDatabase } from './database.js';
import { median, number } from './figures.js';
import { amount, APP_MAIN, CHRONICLE_APP, openAccounts } from './http.js';
import { startApp, type RunningApp } from './http-app.js';
import { cpuNow, cpuPerRequest, cpuText, type CpuPerRequest } from './process-cpu.js';

/** The follower that moves transfers along (src/contexts/transfers/…/transfer.process-manager.ts). */
const TRANSFER_PROCESS = 'transfer-process';
const FINISHED = ['TransferCompleted', 'TransferFailed'];
/** Share of requests that name one of the two hot accounts (issue 21's mix). */
const HOT_SHARE = 0.4;
const LAG_SAMPLE_MS = 200;

export interface TransferMixOptions {
  connections: number;
  /**
   * Requests per second autocannon sends at most, over all connections: the load;
   * undefined: as fast as the app answers, the most it sustains.
   */
  rate?: number;
  seconds: number;
  accounts: number;
  /** How long the transfer process may take to catch up once the load stops. */
  drainSeconds: number;
}

/** The rate, then none: the cell runs once at each. */
export const TRANSFER_MIX_RATES = [160, undefined];

export const transferMixOptions = (quick: boolean, rate: number | undefined): TransferMixOptions => ({
  connections: 16,
  rate,
  seconds: quick ? 3 : 15,
  accounts: quick ? 50 : 200,
  drainSeconds: quick ? 5 : 120, // quick is a smoke run: it need not wait for the catch-up
});

export interface TransferMixResult {
  options: TransferMixOptions;
  /** Answers per second over the load, every kind of request together. */
  commandsPerSecond: number;
  /** Answers other than 2xx by status ("deposit 409": 3), and requests without an answer. */
  refused: Record<string, number>;
  errors: number;
  transfersRequestedPerSecond: number;
  /** TransferCompleted or TransferFailed stored during the load, per second. */
  transfersFinishedPerSecond: number;
  /** The process's lag (age of the oldest event it has not handled) sampled every 200 ms during the load. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** After the load: seconds until the process caught up, and transfers it finished per second meanwhile. */
  drainSeconds: number;
  drainTransfersPerSecond: number;
  /** From TransferRequested to TransferCompleted or TransferFailed, for transfers requested during the load. */
  endToEndP50Ms: number;
  endToEndP99Ms: number;
  /** Over the load and the drain, from the app's /metrics: conflicts and command retries by stream type. */
  conflicts: Record<string, number>;
  retries: Record<string, number>;
  /** Over the load and the catch-up after it, so that the process's deferred work is counted. */
  cpuMsPerRequest: CpuPerRequest;
}

type Kind = 'deposit' | 'withdrawal' | 'transfer';

/** The app's counters of one metric by stream type (Prometheus text format). */
async function countsOf(url: string, metric: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^${metric}\\{stream_type="([^"]+)"\\} (\\S+)$`, 'gm')))
    counts[match[1]] = Number(match[2]);
  return counts;
}

const minus = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([key, n]) => [key, n - (before[key] ?? 0)]));

/** The transfer process's lag now, in ms: the age of the oldest event past its checkpoint (0 when none). */
async function lagMs(database: FreshDatabase): Promise<number> {
  const { rows } = await database.control.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM clock_timestamp() - e.recorded_at) * 1000)::float8 AS ms
       FROM followers f JOIN LATERAL (
              SELECT recorded_at FROM events WHERE position > f.position ORDER BY position LIMIT 1) e ON true
      WHERE f.name = $1`,
    [TRANSFER_PROCESS],
  );
  return rows[0]?.ms ?? 0;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
};

/**
 * Issue 21's mixed load through the built app: deposits, withdrawals and transfers in
 * equal shares, 40% of the accounts named being one of two hot accounts, at a capped
 * rate. Reports transfers requested against finished per second and the transfer
 * process's lag, then how fast it catches up once the load stops. One app instance.
 */
export async function runTransferMix(
  db: BenchDatabase,
  options: TransferMixOptions,
  log: (line: string) => void,
): Promise<TransferMixResult> {
  const database = await db.freshDatabase([]);
  let running: RunningApp | undefined;
  try {
    await database.dataSource.destroy();
    const url = (database.dataSource.options as { url: string }).url;
    running = await startApp(CHRONICLE_APP, APP_MAIN, { DATABASE_URL: url, RATE_LIMIT_PER_MINUTE: '0' });
    const app = running.url;
    // Overdrafts as deep as the API allows: no withdrawal or transfer fails for want of funds.
    const ids = await openAccounts(app, options.accounts, { overdraftLimit: 1_000_000_000_000 });
    const hot = ids.slice(0, 2);
    const account = () => {
      const from = Math.random() < HOT_SHARE ? hot : ids;
      return from[Math.floor(Math.random() * from.length)];
    };
    const kinds: Kind[] = ['deposit', 'withdrawal', 'transfer'];
    const refused: Record<string, number> = {};

    const before = {
      conflicts: await countsOf(app, 'chronicle_concurrency_conflicts_total'),
      retries: await countsOf(app, 'chronicle_command_retries_total'),
    };
    const lags: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lags.push(await lagMs(database));
        await new Promise((resolve) => setTimeout(resolve, LAG_SAMPLE_MS));
      }
    })();
    const cpuBefore = await cpuNow(running.pid, database.control);
    const { rows: started } = await database.control.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    const result = await autocannon({
      url: app,
      connections: options.connections,
      overallRate: options.rate,
      duration: options.seconds,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => {
            const kind = kinds[Math.floor(Math.random() * kinds.length)];
            if (kind === 'transfer') {
              const from = account();
              let to = account();
              while (to === from) to = account();
              return {
                ...request,
                method: 'POST',
                path: '/transfers',
                body: JSON.stringify({ fromAccountId: from, toAccountId: to, amount: amount() }),
              };
            }
            return {
              ...request,
              method: 'POST',
              path: `/accounts/${account()}/${kind === 'deposit' ? 'deposits' : 'withdrawals'}`,
              body: JSON.stringify({ amount: amount() }),
            };
          },
          onResponse: (status) => {
            if (status >= 300) refused[String(status)] = (refused[String(status)] ?? 0) + 1;
          },
        },
      ],
    });
    const { rows: ended } = await database.control.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    sampling = false;
    await sampler;

    const drainStart = performance.now();
    while ((await lagMs(database)) > 0 && performance.now() - drainStart < options.drainSeconds * 1000)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const { rows: drained } = await database.control.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    const cpuAfter = await cpuNow(running.pid, database.control);

    const count = async (types: string[], from: Date, to: Date) =>
      (
        await database.control.query<{ n: number }>(
          'SELECT count(*)::integer AS n FROM events WHERE type = ANY ($1) AND recorded_at >= $2 AND recorded_at < $3',
          [types, from, to],
        )
      ).rows[0].n;
    const loadSeconds = (ended[0].at.getTime() - started[0].at.getTime()) / 1000;
    const { rows: endToEnd } = await database.control.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT extract(epoch FROM f.recorded_at - r.recorded_at)::float8 * 1000 AS ms
                 FROM events r JOIN events f ON f.stream_id = r.stream_id AND f.type = ANY ($3)
                WHERE r.type = 'TransferRequested' AND r.recorded_at >= $1 AND r.recorded_at < $2) AS t`,
      [started[0].at, ended[0].at, FINISHED],
    );
    const mix: TransferMixResult = {
      options,
      commandsPerSecond: result.requests.total / result.duration,
      refused,
      errors: result.errors,
      transfersRequestedPerSecond: (await count(['TransferRequested'], started[0].at, ended[0].at)) / loadSeconds,
      transfersFinishedPerSecond: (await count(FINISHED, started[0].at, ended[0].at)) / loadSeconds,
      lagP50Ms: median(lags),
      lagP99Ms: percentile(lags, 0.99),
      lagMaxMs: Math.max(...lags),
      drainSeconds,
      drainTransfersPerSecond:
        drainSeconds > 0 ? (await count(FINISHED, ended[0].at, drained[0].at)) / drainSeconds : 0,
      endToEndP50Ms: endToEnd[0].p50 ?? NaN,
      endToEndP99Ms: endToEnd[0].p99 ?? NaN,
      conflicts: minus(await countsOf(app, 'chronicle_concurrency_conflicts_total'), before.conflicts),
      retries: minus(await countsOf(app, 'chronicle_command_retries_total'), before.retries),
      cpuMsPerRequest: cpuPerRequest(cpuBefore, cpuAfter, result.requests.total),
    };
    log(
      `transfer mix at ${rateOf(options)}: ${number(mix.commandsPerSecond)} commands/s, transfers ${mix.transfersRequestedPerSecond.toFixed(1)}/s ` +
        `requested, ${mix.transfersFinishedPerSecond.toFixed(1)}/s finished; lag p50 ${number(mix.lagP50Ms)} ms, ` +
        `p99 ${number(mix.lagP99Ms)} ms; caught up in ${mix.drainSeconds.toFixed(1)} s ` +
        `(${mix.drainTransfersPerSecond.toFixed(1)} transfers/s); end to end p50 ${number(mix.endToEndP50Ms)} ms, ` +
        `p99 ${number(mix.endToEndP99Ms)} ms; conflicts ${JSON.stringify(mix.conflicts)}, retries ${JSON.stringify(mix.retries)}; ` +
        `CPU per request ${cpuText(mix.cpuMsPerRequest)}`,
    );
    return mix;
  } finally {
    await running?.stop();
    await database.close();
  }
}

const rateOf = ({ rate }: TransferMixOptions) =>
  rate === undefined ? 'as fast as it answers' : `at most ${rate} requests/s`;

const byKey = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([key, n]) => `${key} ${number(n)}`)
    .join(', ') || 'none';

/** The cell's table: transfers requested against finished, the process's lag and how it caught up. */
export function transferMixSection(mixes: TransferMixResult[]): string[] {
  const { options } = mixes[0];
  const sum = (pick: (mix: TransferMixResult) => Record<string, number>) => {
    const total: Record<string, number> = {};
    for (const mix of mixes) for (const [key, n] of Object.entries(pick(mix))) total[key] = (total[key] ?? 0) + n;
    return total;
  };
  return [
    '## Process managers keep up: transfers in a mixed load',
    '',
    '| load | commands/s | transfers requested/s | transfers finished/s | lag p50 | lag p99 (target < 1 s) | lag max | caught up after the load | end to end p50 / p99 | CPU per request |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
    ...mixes.map((mix) => {
      const caughtUp = mix.drainSeconds < mix.options.drainSeconds;
      return (
        `| ${rateOf(mix.options)} | ${number(mix.commandsPerSecond)} | ${mix.transfersRequestedPerSecond.toFixed(1)} | ` +
        `${mix.transfersFinishedPerSecond.toFixed(1)} | ${number(mix.lagP50Ms)} ms | ` +
        `${number(mix.lagP99Ms)} ms (${mix.lagP99Ms < 1000 ? 'met' : 'MISSED'}) | ${number(mix.lagMaxMs)} ms | ` +
        `${caughtUp ? 'in' : 'NOT in'} ${mix.drainSeconds.toFixed(1)} s, ${mix.drainTransfersPerSecond.toFixed(1)} transfers/s | ` +
        `${number(mix.endToEndP50Ms)} / ${number(mix.endToEndP99Ms)} ms | ${cpuText(mix.cpuMsPerRequest)} |`
      );
    }),
    '',
    `- the load: \`autocannon\`, ${options.connections} connections, for ${options.seconds} s, first at issue 21's ` +
      'rate, then as fast as the app answers (the most it sustains), to one instance of the built app (followers in the ' +
      'same process, as by default, the transfer process handling up to 15 events at once); ' +
      'each request a deposit, a withdrawal or a transfer (`POST /transfers`) in equal shares, each account named ' +
      `one of two hot accounts ${HOT_SHARE * 100}% of the time, else one of ${number(options.accounts)}; ` +
      'overdrafts as deep as the API allows, so no step fails for want of funds',
    '- requested, finished: TransferRequested, and TransferCompleted or TransferFailed, stored during the load, per second; ' +
      'lag: the age of the oldest event the transfer process has not handled yet, sampled every 200 ms ' +
      '(`chronicle_follower_lag_seconds`); end to end: from TransferRequested to its outcome, for the transfers ' +
      'requested during the load; CPU per request: utime + stime from /proc of the app, of the PostgreSQL processes in ' +
      '`pg_stat_activity` and of autocannon, over the load and the catch-up, per answered request; at the requests/s ' +
      'given, that work would keep every core busy',
    `- answers other than 2xx: ${byKey(sum((mix) => mix.refused))}; errors: ${mixes.reduce((n, mix) => n + mix.errors, 0)}; ` +
      `over the loads and the catch-ups, concurrency conflicts: ${byKey(sum((mix) => mix.conflicts))}; ` +
      `command retries: ${byKey(sum((mix) => mix.retries))}`,
    '',
  ];
}
