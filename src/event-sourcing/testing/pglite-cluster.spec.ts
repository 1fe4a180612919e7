import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { freshCluster } from './pglite-cluster.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chronicle-pglite-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Whether the cluster has the table the saved one below was given. */
async function hasMarker(pglite: PGlite): Promise<boolean> {
  const { rows } = await pglite.query("SELECT to_regclass('public.marker') IS NOT NULL AS present");
  return (rows[0] as { present: boolean }).present;
}

describe('a new PGlite cluster for specs', () => {
  it('is loaded from the saved one when there is one', async () => {
    const saved = await freshCluster();
    await saved.exec('CREATE TABLE marker (n int)');
    const file = join(dir, 'saved.tar');
    await writeFile(file, Buffer.from(await (await saved.dumpDataDir('none')).arrayBuffer()));
    await saved.close();

    const loaded = await freshCluster(file);
    expect(await hasMarker(loaded)).toBe(true);
    await loaded.close();
  });

  it('is made anew, and saved over it, when the saved one cannot be read', async () => {
    const file = join(dir, 'broken.tar');
    await writeFile(file, 'not a cluster');

    // Made from the saved cluster rather than by initdb, seconds that the unit tests' global
    // setup pays once for the cluster every spec loads.
    const make = jest.fn(() => freshCluster());
    const made = await freshCluster(file, make);
    expect(make).toHaveBeenCalledTimes(1);
    expect(await hasMarker(made)).toBe(false);
    expect((await made.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await made.close();
    expect((await readFile(file)).length).toBeGreaterThan(1_000_000);
    const loaded = await freshCluster(file);
    expect((await loaded.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await loaded.close();
  });
});
