// Plain JavaScript (checked by tsc through JSDoc) because two loaders use it: the specs,
// and the unit tests' jest global setup, which Node imports natively outside jest's
// TypeScript pipeline.
import { Blob, Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new PGlite cluster. Making one runs initdb, seconds of WebAssembly (4.6 s here, against
 * 0.8 s to load a saved one); every new cluster of one PGlite version is the same, so the
 * first is saved in the `.cache` folder of the node_modules PGlite is installed in (the
 * user's own, not a shared temporary folder) and later ones are loaded from it.
 * @param {string} [cache]
 * @param {() => Promise<PGlite>} [make] how a cluster is made when none can be loaded: initdb,
 *   unless a spec of this function, which has no need to pay seconds for it, gives another way
 * @returns {Promise<PGlite>}
 */
export async function freshCluster(cache = clusterCacheFile(), make = () => PGlite.create()) {
  const saved = await readFile(cache).catch(() => undefined);
  if (saved) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([saved]) });
    } catch {
      // Unreadable (written by another version in place): made again below, and saved over it.
    }
  }
  const pglite = await make();
  const dump = await pglite.dumpDataDir('none');
  // Written aside and renamed: a spec starting meanwhile in another worker reads all of it or none.
  const partial = `${cache}.${randomUUID()}`;
  try {
    await mkdir(dirname(cache), { recursive: true });
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, cache);
  } catch {
    // A read-only install: every spec makes its own cluster, as it did without the cache.
  }
  return pglite;
}

/**
 * Saves a cluster unless one is saved: run once before the specs start (jest's global
 * setup of the unit tests), so that on a first run the workers do not each make one at the
 * same time (three initdb at once on two cores cost a cold `npm test` about 25 s).
 * @returns {Promise<void>}
 */
export async function saveCluster() {
  const cache = clusterCacheFile();
  if (
    await stat(cache).then(
      () => true,
      () => false,
    )
  )
    return;
  await (await freshCluster(cache)).close();
}

/**
 * Where the cluster of the installed PGlite version is kept: beside the package, named by its version.
 * @returns {string}
 */
function clusterCacheFile() {
  const require = createRequire(import.meta.url);
  // .../node_modules/@electric-sql/pglite/dist/index.cjs
  const packageRoot = join(dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = /** @type {{ version: string }} */ (require(join(packageRoot, 'package.json')));
  return join(packageRoot, '..', '..', '.cache', 'chronicle', `pglite-${version}-cluster.tar`);
}
