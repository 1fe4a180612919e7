#!/usr/bin/env node
/**
 * How long the followers take to move when the instance running them vanishes from the
 * network, as a host that loses power does: no FIN, no RST, nothing (docs/SCALING.md,
 * "Many instances"). A SIGKILL test cannot show this, since the kernel of a killed
 * process still closes its connections.
 *
 * Starts two instances of the built app (`npm run build` first) on a new database of the
 * PostgreSQL server in DATABASE_URL, which must run on this machine; sends deposits to the
 * second; then drops every packet of the first one's database connections with nftables
 * and freezes it (SIGSTOP), and polls the second's GET /projections until it runs every
 * follower and has caught up. Needs root and the `nft` command. Prints the times as JSON;
 * removes its nftables table, its processes and its database at the end.
 *
 *   npm run build && sudo DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node scripts/dead-host-failover.mjs
 *
 * Settings such as FOLLOWER_LEASE_TIMEOUT_SECONDS pass through to both instances.
 */
/* global fetch, AbortSignal -- Node's own */
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const LIMIT_MS = Number(process.env.DEAD_HOST_LIMIT_MS ?? 120_000);
const TABLE = 'chronicle_dead_host';
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('Set DATABASE_URL to a PostgreSQL server on this machine');
const databaseName = `chronicle_dead_host_${process.pid}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${databaseName}`;
const databasePort = databaseUrl.port || '5432';

async function asAdmin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function json(url, init) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function startApp(name, port) {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl.toString(),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { name, child, url };
    } catch {
      // Not listening yet.
    }
    if (tries > 300) throw new Error(`${name} did not get ready`);
    await sleep(100);
  }
}

/** The local ports of `pid`'s established connections to the database server. */
function databasePortsOf(pid) {
  const lines = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' }).split('\n');
  return lines
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3].endsWith(`:${databasePort}`))
    .map((fields) => fields[2].split(':').at(-1));
}

const apps = [];
let partitioned = false;
await asAdmin(`CREATE DATABASE ${databaseName}`);
try {
  // One after the other: the first takes every lease, and migrations run once.
  apps.push(await startApp('first', 3851), await startApp('second', 3852));
  const [first, second] = apps;
  const holders = (await json(`${first.url}/projections`)).items.filter((f) => f.runningHere).map((f) => f.name);
  const { id } = await json(`${second.url}/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ owner: 'Dead host' }),
  });
  let loading = true;
  const load = (async () => {
    while (loading) {
      await json(`${second.url}/accounts/${id}/deposits`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ amount: 1 }),
      });
      await sleep(50);
    }
  })();
  await sleep(2_000);

  const ports = databasePortsOf(first.child.pid);
  const set = `{ ${ports.join(', ')} }`;
  execFileSync('nft', ['add', 'table', 'inet', TABLE]);
  partitioned = true;
  execFileSync('nft', ['add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0 ; }']);
  execFileSync('nft', ['add', 'rule', 'inet', TABLE, 'out', 'tcp', 'sport', set, 'drop']);
  execFileSync('nft', ['add', 'rule', 'inet', TABLE, 'out', 'tcp', 'dport', set, 'drop']);
  first.child.kill('SIGSTOP');
  const cutAt = Date.now();
  const atCut = (await json(`${second.url}/projections`)).items;
  const headAtCut = Math.max(...atCut.map((f) => f.checkpoint + f.lagPositions));

  let takeoverMs;
  let failoverMs;
  while (failoverMs === undefined) {
    const followers = (await json(`${second.url}/projections`)).items.filter((f) => holders.includes(f.name));
    const elapsed = Date.now() - cutAt;
    if (followers.every((f) => f.runningHere)) takeoverMs ??= elapsed;
    if (followers.every((f) => f.runningHere && f.checkpoint >= headAtCut)) failoverMs = elapsed;
    else if (elapsed > LIMIT_MS) break;
    else await sleep(100);
  }
  loading = false;
  await load;
  console.log(
    JSON.stringify({
      leaseTimeoutSeconds: process.env.FOLLOWER_LEASE_TIMEOUT_SECONDS ?? '10 (default)',
      pollMs: process.env.FOLLOWER_POLL_MS ?? '1000 (default)',
      connectionsCut: ports.length,
      followers: holders,
      headAtCut,
      takeoverMs: takeoverMs ?? `more than ${LIMIT_MS}`,
      failoverMs: failoverMs ?? `more than ${LIMIT_MS}`,
    }),
  );
} finally {
  if (partitioned) execFileSync('nft', ['delete', 'table', 'inet', TABLE]);
  for (const app of apps) app.child.kill('SIGKILL');
  await asAdmin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
}
