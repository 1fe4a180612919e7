// Jest loads this file natively, outside its TypeScript pipeline, hence plain JavaScript.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';

/**
 * `count` TCP ports nobody listens on, all different (each is held until all are found).
 * @param {number} count
 * @returns {Promise<number[]>}
 */
async function freePorts(count) {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        /** @type {Promise<number>} */ (
          new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              resolve(typeof address === 'object' && address ? address.port : 0);
            });
          })
        ),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * With DATABASE_URL, tests use that server; without, throwaway embedded PostgreSQL servers,
 * one per jest worker: an open transaction holds back the log readers of every database
 * on its server (docs/ARCHITECTURE.md, "The log"), so a test file holding one would stall
 * the followers of the file running beside it. Either way each test file creates a database
 * of its own (test/support/test-database.ts), most of them cloned from this run's migrated
 * template, named here.
 * @param {import('jest').Config} globalConfig
 */
export default async function globalSetup(globalConfig) {
  process.env.CHRONICLE_TEST_TEMPLATE = `chronicle_template_${randomBytes(6).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    process.env.CHRONICLE_TEST_ADMIN_URLS = process.env.DATABASE_URL;
    return;
  }
  const ports = await freePorts(Math.max(1, Number(globalConfig.maxWorkers)));
  const starting = ports.map((port) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-test-postgres-'));
    const server = startEmbeddedPostgres({ dataDir, port, persistent: false });
    return { dataDir, server };
  });
  const interrupted = stopOnSignal(starting);
  const servers = await Promise.all(
    starting.map(async ({ server }) => {
      await withoutDurability((await server).url);
      return server;
    }),
  ).catch(async (error) => {
    // Stopped under the setup by the signal: jest would report the failure and exit while a
    // server is still being made, whose initdb would then fill its directory again. The
    // signal's handler ends the process once every server is stopped and removed.
    if (interrupted()) await new Promise(() => {});
    throw error;
  });
  Reflect.set(globalThis, 'chronicleTestServers', servers);
  process.env.CHRONICLE_TEST_ADMIN_URLS = servers.map((server) => server.url).join(' ');
}

/**
 * Ctrl-C or a kill ends jest without its global teardown: a server of the run would go on
 * running, or (Ctrl-C reaches it too) leave its data directory behind, tens of MB in the
 * temporary folder for each interrupted run. So the servers, started or starting, are
 * stopped and their data deleted before jest exits as the signal would have made it.
 * @param {{ dataDir: string, server: Promise<{ stop(): Promise<void> }> }[]} starting
 * @returns {() => boolean} whether a signal came
 */
function stopOnSignal(starting) {
  // Their data goes in the exit hook below, which process.exit runs once they are stopped.
  const stopAll = () => Promise.allSettled(starting.map(({ server }) => server.then((started) => started.stop())));
  let signalled = false;
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.once(signal, () => {
      signalled = true;
      void stopAll().finally(() => process.exit(128 + osConstants.signals[signal]));
    });
  }
  // Jest may exit first (the signal ended its workers, or a server stopping under the setup
  // failed it): the servers' own exit hook stops them (src/database/embedded-postgres.js), and
  // their data goes here, with retries, since a server still shutting down writes files in it.
  process.once('exit', () => {
    for (const { dataDir } of starting) {
      try {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
      } catch {
        // Left behind, as without this hook; the other directories are still removed.
      }
    }
  });
  return () => signalled;
}

/**
 * The throwaway server's data is deleted at the end of the run and never outlives a crash,
 * so it need not reach the disk: without fsync, each test file's CREATE DATABASE and each
 * commit stop waiting on a disk the other engineers' runs share.
 * @param {string} url
 */
async function withoutDurability(url) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const setting of ['fsync', 'synchronous_commit', 'full_page_writes']) {
      await admin.query(`ALTER SYSTEM SET ${setting} = off`);
    }
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
}
