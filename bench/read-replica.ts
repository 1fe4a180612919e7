import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamingReplica } from '../test/support/streaming-replica.js';
import { number } from './figures.js';
import { APP_MAIN } from './http.js';
import { startApp, type RunningApp } from './http-app.js';
import { cpuSeconds } from './process-cpu.js';

/**
 * The read-heavy mix (90% reads, 10% deposits, 32 connections)
 * against the built app on a primary of its own, without and then with one streaming
 * replica of it on the same machine. Reports requests/s, p99 and the share of the two
 * servers' CPU time the primary spent (utime + stime of each cluster's processes, from /proc).
 */
const CONNECTIONS = 32;
const READS = [
  (id: string) => `/accounts/${id}`,
  (id: string) => `/accounts/${id}/statement`,
  (id: string) => `/accounts/${id}/events?limit=20`,
  () => '/accounts?limit=20',
];
/**
 * The CPU seconds a cluster has used so far: its postmaster's own and those of the backends
 * it has reaped (cutime, cstime), and those of the processes it runs now. A backend's time
 * moves from the second sum to the first when it exits, so connections that come and go are counted once.
 */
async function clusterSeconds(pair: StreamingReplica, server: 'primary' | 'standby'): Promise<number> {
  const [postmaster, ...children] = await pair.processes(server);
  let seconds = await cpuSeconds(postmaster, true);
  for (const pid of children) seconds += await cpuSeconds(pid);
  return seconds;
}

async function clusterCpu(pair: StreamingReplica) {
  return { primary: await clusterSeconds(pair, 'primary'), standby: await clusterSeconds(pair, 'standby') };
}

async function openAccounts(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ owner: `Reader ${i}` }),
    });
    if (response.status !== 201) throw new Error(`opening an account answered ${response.status}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

async function replicaInRotation(url: string): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const body = (await (await fetch(`${url}/health/ready`)).json()) as {
      details?: { replicas?: { replicas: { inRotation: boolean }[] } };
    };
    if (body.details?.replicas?.replicas[0]?.inRotation) return;
    await sleep(100);
  }
  throw new Error('the replica never joined the read rotation');
}

async function measure(app: RunningApp, ids: string[], pair: StreamingReplica, seconds: number) {
  const pick = () => ids[Math.floor(Math.random() * ids.length)];
  // Nine reads, then a deposit, on every connection: 90% reads.
  const requests = [
    ...Array.from({ length: 9 }, (_, i) => ({
      method: 'GET' as const,
      setupRequest: (request: autocannon.Request) => ({ ...request, path: READS[i % READS.length](pick()) }),
    })),
    {
      method: 'POST' as const,
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        path: `/accounts/${pick()}/deposits`,
        body: JSON.stringify({ amount: 1 }),
      }),
    },
  ];
  const before = await clusterCpu(pair);
  const result = await autocannon({
    url: app.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests,
  });
  const after = await clusterCpu(pair);
  const primary = after.primary - before.primary;
  const standby = after.standby - before.standby;
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    failed: result.non2xx + result.errors,
    primaryCpuSeconds: primary,
    standbyCpuSeconds: standby,
    primaryShare: primary + standby > 0 ? primary / (primary + standby) : 0,
  };
}

export interface ReadReplicaRun {
  app: 'primary only' | 'with a replica';
  requestsPerSecond: number;
  p99Ms: number;
  failed: number;
  primaryCpuSeconds: number;
  standbyCpuSeconds: number;
  /** The primary's share of the two servers' CPU time over the run. */
  primaryShare: number;
}

export interface ReadReplicaMixResult {
  seconds: number;
  accounts: number;
  connections: number;
  runs: ReadReplicaRun[];
}

/** Runs the mix without and then with a replica (`quick`: a smoke run). */
export async function readReplicaMix(quick: boolean): Promise<ReadReplicaMixResult> {
  const seconds = quick ? 3 : 15;
  const accounts = quick ? 100 : 500;
  const pair = await StreamingReplica.start();
  try {
    const runs: ReadReplicaRun[] = [];
    for (const name of ['primary only', 'with a replica'] as const) {
      const replica = name === 'with a replica';
      const app = await startApp(name, APP_MAIN, {
        DATABASE_URL: pair.primaryUrl,
        ...(replica ? { DATABASE_REPLICA_URLS: pair.standbyUrl } : {}),
        RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'warn',
      });
      try {
        const ids = await openAccounts(app.url, accounts);
        if (replica) await replicaInRotation(app.url);
        runs.push({ app: name, ...(await measure(app, ids, pair, seconds)) });
      } finally {
        await app.stop();
      }
    }
    return { seconds, accounts, connections: CONNECTIONS, runs };
  } finally {
    await pair.stop();
  }
}

/** The mix's table, in Markdown. */
export function readReplicaSection(result: ReadReplicaMixResult): string[] {
  return [
    '## Reads on a streaming replica',
    '',
    '| app | requests/s | p99 latency | primary CPU | standby CPU | primary share | failed (must be 0) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.runs.map(
      (run) =>
        `| ${run.app} | ${number(run.requestsPerSecond)} | ${number(run.p99Ms)} ms | ${run.primaryCpuSeconds.toFixed(1)} s | ` +
        `${run.standbyCpuSeconds.toFixed(1)} s | ${(run.primaryShare * 100).toFixed(0)}% | ${run.failed} |`,
    ),
    '',
    `- the load: \`autocannon\`, ${result.connections} connections for ${result.seconds} s, on every connection nine ` +
      'reads (`GET /accounts/{id}`, its statement, its events, the account list, in turn) then a deposit, to a random ' +
      `one of ${number(result.accounts)} accounts, through the built app on a primary of its own (the machine's ` +
      'PostgreSQL binaries), then on the same primary with one streaming replica of it (`DATABASE_REPLICA_URLS`), ' +
      'both on this machine',
    "- CPU: the user and system time of each server's processes over the run (from /proc); on one machine the " +
      'replica takes work off the primary but adds no cores, so requests/s cannot rise ' +
      '([SCALING.md](../../docs/SCALING.md#read-replicas) says what it buys on hardware of its own)',
    '',
  ];
}
