import autocannon from 'autocannon';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase, FreshDatabase } from './database.js';
import { PRODUCTION_NODE_OPTIONS, ROOT, startApp, type RunningApp, type TimeReport } from './http-app.js';
import { IN_PLACE_SCHEMA } from './in-place-app.js';
import { readRss, sampleRss } from './memory-sampler.js';
import { cpuNow, cpuPerRequest, cpuText, medianCpu, type CpuPerRequest } from './process-cpu.js';
import { median, number, verdict } from './figures.js';

export const CHRONICLE_APP = 'chronicle';
export const IN_PLACE_APP = 'in-place UPDATE';
/** The real app as `npm run start:prod` runs it. */
export const APP_MAIN = join(ROOT, 'dist', 'src', 'main.js');
const IN_PLACE_MAIN = fileURLToPath(new URL('./in-place-main.js', import.meta.url));

export const TARGETS = { ratio: 0.7, p99Ms: 25, p99ToInPlace: 1.2 };
/** Lets followers start and the first timers fire before "idle" is read. */
const SETTLE_MS = 3000;

export interface HttpOptions {
  connections: number;
  seconds: number;
  repetitions: number;
  /** Accounts each app holds; every request deposits to a random one. */
  accounts: number;
  warmUpSeconds: number;
}

export const httpOptions = (quick: boolean): HttpOptions => ({
  connections: 32,
  seconds: quick ? 2 : 10,
  repetitions: quick ? 1 : 2,
  accounts: quick ? 200 : 1000,
  warmUpSeconds: 1,
});

export interface HttpRun {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx, and requests that got no answer (connection errors, timeouts). */
  non2xx: number;
  errors: number;
  /** The app's highest VmRSS sampled during the run. */
  peakRssBytes: number;
  cpuMsPerRequest: CpuPerRequest;
}

export interface HttpCell {
  app: string;
  runs: HttpRun[];
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssBytes: number;
  /** The medians of the runs' figures. */
  cpuMsPerRequest: CpuPerRequest;
  /** Why the cell failed (any non-2xx answer or error). */
  failed?: string;
}

export interface AppMemory {
  app: string;
  idleRssBytes: number;
  peakUnderLoadBytes: number;
  /** GNU time's maximum resident set size over the whole life of the process, when installed. */
  gnuTime?: TimeReport;
}

export interface HttpResult {
  options: HttpOptions;
  cells: HttpCell[];
  memory: AppMemory[];
  /** Chronicle's requests/s over the in-place endpoint's. */
  ratio: number;
}

interface App {
  name: string;
  running: RunningApp;
  ids: string[];
  /** Deposits acknowledged (2xx) and requests sent, over every run and warm-up: the stored count lies between. */
  acknowledged: number;
  sent: number;
  runs: HttpRun[];
  idleRssBytes: number;
  /** The accounts to deposit to, created once the idle memory is read. */
  accounts(): Promise<string[]>;
  countStored(): Promise<number>;
}

/** What an app starts with before its first run. */
const freshCounters = () => ({ ids: [] as string[], acknowledged: 0, sent: 0, runs: [] as HttpRun[], idleRssBytes: 0 });

export const amount = () => 100 * (1 + Math.floor(Math.random() * 500));

/** `seconds` of deposits to random accounts of the app over `connections` keep-alive connections. */
async function deposit(app: App, connections: number, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url: app.running.url,
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({
          ...request,
          path: `/accounts/${app.ids[Math.floor(Math.random() * app.ids.length)]}/deposits`,
          body: JSON.stringify({ amount: amount() }),
        }),
      },
    ],
  });
  app.acknowledged += result['2xx'];
  app.sent += result.requests.sent;
  return result;
}

/** Opens `count` accounts through the API, 8 at a time, as clients would; `extra` joins the owner in the body. */
export async function openAccounts(url: string, count: number, extra: object = {}): Promise<string[]> {
  const ids: string[] = [];
  let left = count;
  const opener = async () => {
    while (left-- > 0) {
      const response = await fetch(`${url}/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ owner: `Bench owner ${ids.length}`, ...extra }),
      });
      if (response.status !== 201)
        throw new Error(`POST /accounts answered ${response.status}: ${await response.text()}`);
      ids.push(((await response.json()) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: 8 }, opener));
  return ids;
}

async function chronicleApp(database: FreshDatabase, accounts: number): Promise<App> {
  const url = (database.dataSource.options as { url: string }).url;
  // The app's own settings but the rate limit, which would answer 429 to one client sending thousands a second.
  const running = await startApp(CHRONICLE_APP, APP_MAIN, {
    DATABASE_URL: url,
    RATE_LIMIT_PER_MINUTE: '0',
    NODE_ENV: 'production',
  });
  return {
    name: CHRONICLE_APP,
    running,
    ...freshCounters(),
    accounts: () => openAccounts(running.url, accounts),
    async countStored() {
      const { rows } = await database.control.query(
        `SELECT count(*)::integer AS n FROM events WHERE type = 'MoneyDeposited'`,
      );
      return rows[0].n;
    },
  };
}

async function inPlaceApp(database: FreshDatabase, accounts: number): Promise<App> {
  const url = (database.dataSource.options as { url: string }).url;
  await database.control.query(IN_PLACE_SCHEMA);
  const { rows } = await database.control.query<{ id: string }>(
    'INSERT INTO accounts (id) SELECT gen_random_uuid() FROM generate_series(1, $1) RETURNING id',
    [accounts],
  );
  await database.control.query('VACUUM (ANALYZE) accounts');
  const running = await startApp(IN_PLACE_APP, IN_PLACE_MAIN, { DATABASE_URL: url, NODE_ENV: 'production' });
  return {
    name: IN_PLACE_APP,
    running,
    ...freshCounters(),
    accounts: async () => rows.map((row) => row.id),
    async countStored() {
      const { rows: sums } = await database.control.query(`SELECT sum(version)::integer AS n FROM accounts`);
      return sums[0].n;
    },
  };
}

function summarise(app: App): HttpCell {
  const { runs } = app;
  const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
  const errors = runs.reduce((sum, run) => sum + run.errors, 0);
  return {
    app: app.name,
    runs,
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
    cpuMsPerRequest: medianCpu(runs.map((run) => run.cpuMsPerRequest)),
    ...(non2xx + errors > 0 ? { failed: `${non2xx} non-2xx answers, ${errors} errors` } : {}),
  };
}

/**
 * W7: deposits over HTTP at 32 connections, the real app (built dist/src/main.js, a child
 * process on a fresh database) against a plain Nest + TypeORM endpoint that updates a
 * balance row in place, interleaved. Both run under GNU time, sampled for memory.
 */
export async function runHttp(
  db: BenchDatabase,
  options: HttpOptions,
  log: (line: string) => void,
): Promise<HttpResult> {
  if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: npm run build (npm run bench builds it)`);
  const databases: FreshDatabase[] = [];
  const apps: App[] = [];
  try {
    for (const open of [chronicleApp, inPlaceApp]) {
      const database = await db.freshDatabase([]);
      databases.push(database);
      // Migrated; its pool would only hold connections the app may need.
      await database.dataSource.destroy();
      const app = await open(database, options.accounts);
      apps.push(app);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      app.idleRssBytes = (await readRss(app.running.pid)).rssBytes;
      app.ids = await app.accounts();
      log(`W7 ${app.name} started (pid ${app.running.pid}), idle RSS ${number(app.idleRssBytes / 2 ** 20)} MB`);
    }
    // Untimed: JIT, prepared statements, pools filled.
    for (const app of apps) await deposit(app, options.connections, options.warmUpSeconds);
    for (let rep = 1; rep <= options.repetitions; rep++) {
      for (const [n, app] of apps.entries()) {
        const { control } = databases[n];
        const cpuBefore = await cpuNow(app.running.pid, control);
        const sampler = sampleRss(app.running.pid);
        const result = await deposit(app, options.connections, options.seconds).finally(() => sampler.stop());
        const { peakBytes } = await sampler.stop();
        const cpu = cpuPerRequest(cpuBefore, await cpuNow(app.running.pid, control), result.requests.total);
        const run: HttpRun = {
          requestsPerSecond: result.requests.total / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          peakRssBytes: peakBytes,
          cpuMsPerRequest: cpu,
        };
        app.runs.push(run);
        log(
          `W7 rep ${rep} ${app.name.padEnd(16)} ${number(run.requestsPerSecond).padStart(6)} req/s  ` +
            `p50 ${run.p50Ms.toFixed(1)} ms  p99 ${run.p99Ms.toFixed(1)} ms  non-2xx ${run.non2xx}  ` +
            `errors ${run.errors}  peak RSS ${number(peakBytes / 2 ** 20)} MB  CPU per request ${cpuText(cpu)}`,
        );
      }
    }
    const memory: AppMemory[] = [];
    for (const app of apps) {
      const gnuTime = await app.running.stop();
      // Requests in flight when a run ended may have been stored without an answer.
      const stored = await app.countStored();
      if (stored < app.acknowledged || stored > app.sent) {
        throw new Error(
          `W7 check failed: ${app.name} stored ${stored} deposits, ` +
            `${app.acknowledged} were acknowledged and ${app.sent} sent`,
        );
      }
      memory.push({
        app: app.name,
        idleRssBytes: app.idleRssBytes,
        peakUnderLoadBytes: Math.max(...app.runs.map((run) => run.peakRssBytes)),
        ...(gnuTime ? { gnuTime } : {}),
      });
    }
    const cells = apps.map(summarise);
    for (const cell of cells.filter((c) => c.failed)) {
      log(`W7 ${cell.app} FAILED: ${cell.failed}`);
      // The report is still written; the run ends with an error.
      process.exitCode = 1;
    }
    return { options, cells, memory, ratio: cells[0].requestsPerSecond / cells[1].requestsPerSecond };
  } finally {
    await Promise.allSettled(apps.map((app) => app.running.stop()));
    for (const database of databases) await database.close();
  }
}

/** W7's table: requests/s, latency and failures, with the targets. */
export function httpSection(http: HttpResult): string[] {
  const { options, cells, ratio } = http;
  const text = (cell: HttpCell) => {
    const chronicle = cell.app === CHRONICLE_APP;
    const rate = `${number(cell.requestsPerSecond)}${
      chronicle
        ? ` (${ratio.toFixed(2)}x in-place, target >= ${TARGETS.ratio}: ${verdict(ratio >= TARGETS.ratio)})`
        : ''
    }`;
    // Issue 21's tail target: p99 within 1.2x the in-place endpoint's, measured in the same run.
    const tail = cell.p99Ms / cells.find((c) => c.app === IN_PLACE_APP)!.p99Ms;
    const p99 = `${cell.p99Ms.toFixed(1)} ms${
      chronicle
        ? ` (target < ${TARGETS.p99Ms} ms: ${verdict(cell.p99Ms < TARGETS.p99Ms)}; ${tail.toFixed(2)}x in-place, ` +
          `target <= ${TARGETS.p99ToInPlace}: ${verdict(tail <= TARGETS.p99ToInPlace)})`
        : ''
    }`;
    return `| ${cell.app} | ${rate} | ${cell.p50Ms.toFixed(1)} ms | ${p99} | ${cpuText(cell.cpuMsPerRequest)} | ${cell.failed ?? '0: ok'} |`;
  };
  return [
    `## HTTP deposits end to end, ${options.connections} connections (W7)`,
    '',
    '| app | requests/s | p50 latency | p99 latency | CPU per request | non-2xx and errors (must be 0) |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...cells.map(text),
    '',
    `- each cell: the median of ${options.repetitions} run${options.repetitions === 1 ? '' : 's'} of ` +
      `${options.seconds} s of \`autocannon\` ` +
      `(${options.connections} keep-alive connections, in the benchmark process), apps interleaved, after an untimed ` +
      `${options.warmUpSeconds} s warm-up of each; every request \`POST /accounts/{id}/deposits\` ` +
      `\`{ "amount": 100..50000 }\` to a random one of ${number(options.accounts)} accounts`,
    `- chronicle: the built app as \`npm run start:prod\` runs it (\`NODE_ENV=production node ${PRODUCTION_NODE_OPTIONS.join(' ')} ` +
      'dist/src/main.js`) as a child process on a fresh database of the same server, ' +
      'its default settings (pool of 20, followers and request logs on) but RATE_LIMIT_PER_MINUTE=0 and AUTH_DISABLED=true; ' +
      'its accounts opened through `POST /accounts` beforehand',
    '- in-place UPDATE: a plain Nest app (`bench/in-place-app.ts`) with the same DTOs and a global ' +
      '`ValidationPipe`, one TypeORM query builder `UPDATE accounts SET balance = balance + $1, version = version + 1 ' +
      'WHERE id = $2 RETURNING balance, version` per request, a pool of 20, run with the same node options',
    '- checked after the runs: each database holds at least as many deposits as were acknowledged and no more than were sent',
    '',
  ];
}
