// Jest loads this file natively, outside its TypeScript pipeline, hence plain JavaScript.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';

/** @returns {Promise<number>} */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * With DATABASE_URL, tests use that server; without, a throwaway embedded PostgreSQL.
 * Either way each test file creates a database of its own (test/support/test-database.ts),
 * most of them cloned from this run's migrated template, named here.
 */
export default async function globalSetup() {
  process.env.CHRONICLE_TEST_TEMPLATE = `chronicle_template_${randomBytes(6).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    process.env.CHRONICLE_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'chronicle-test-postgres-'));
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
  Reflect.set(globalThis, 'chronicleTestServer', server);
  process.env.CHRONICLE_TEST_ADMIN_URL = server.url;
  await withoutDurability(server.url);
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
