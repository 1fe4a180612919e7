// `npm run examples:remove`: deletes the example bounded contexts and everything that
// exists for them, as scripts/examples/manifest.json lists (see scripts/examples/README.md).
// `-- --force` runs it on a working tree with uncommitted changes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRemoval, planRemoval, RemovalError } from './removal.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const force = process.argv.includes('--force');

let plan;
try {
  plan = planRemoval(root);
} catch (error) {
  if (!(error instanceof RemovalError)) throw error;
  console.error(`examples:remove: ${error.message} Nothing was changed.`);
  process.exit(1);
}

// Git is the undo: with uncommitted work in the tree, restoring the removed files would
// also have to keep that work apart, so the removal waits until it is committed.
const status = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
const uncommitted = status.status === 0 ? status.stdout.trim() : '';
if (uncommitted !== '' && !force) {
  console.error(`examples:remove: the working tree has uncommitted changes:
${uncommitted}
Commit them first (git add -A && git commit), so that git can bring the examples back
without touching your work; or run npm run examples:remove -- --force. Nothing was changed.`);
  process.exit(1);
}

await applyRemoval(plan, (line) => console.log(line));

// package-lock.json still lists a dropped workspace and its packages: npm ci would refuse it.
// npm prunes them from the lock alone, offline (it needs to fetch nothing to remove); the
// user's node_modules stays as it is until their next npm ci.
const syncLock = plan.workspaces.length > 0 && existsSync(join(root, 'package-lock.json'));
if (syncLock) {
  console.log('updating package-lock.json: npm install --package-lock-only --offline');
  // npm writes its record of what node_modules holds (the hidden lockfile) from the new lock
  // too, which would then deny the packages still there: it gets back what it said before.
  const hiddenLock = join(root, 'node_modules', '.package-lock.json');
  const installed = existsSync(hiddenLock) ? readFileSync(hiddenLock) : undefined;
  const run = spawnSync(
    'npm',
    ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: root, stdio: 'inherit' },
  );
  if (installed) writeFileSync(hiddenLock, installed);
  else rmSync(hiddenLock, { force: true });
  if (run.status !== 0) {
    console.error('examples:remove: package-lock.json could not be updated; run npm install to update it.');
    process.exit(1);
  }
}

// The typed client and OpenAPI document describe the routes: regenerate them without the examples'.
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
if (scripts.openapi) {
  console.log('regenerating the OpenAPI document and client: npm run openapi');
  const run = spawnSync('npm', ['run', 'openapi'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(
      'examples:remove: npm run openapi failed; the examples are removed, the generated files are not updated.',
    );
    process.exit(1);
  }
}

console.log(`
The examples are removed; your own contexts, tests and migrations are kept. Check what is
left: npm run lint && npm run typecheck && npm test`);
if (syncLock) console.log("npm ci takes the example front end's packages out of node_modules.");
if (status.status === 0) {
  // Only what the removal changed, so that an undo after --force keeps the uncommitted work elsewhere.
  const touched = [
    ...plan.deletions.map(({ path }) => path),
    ...plan.rewrites.map(({ path }) => path),
    plan.migrationsIndex.path,
    'package.json',
    ...(syncLock ? ['package-lock.json'] : []),
    ...(scripts.openapi ? ['openapi.json', 'clients'] : []),
  ];
  // dist/ and the like were never tracked: git checkout would refuse the whole list for them.
  const tracked = spawnSync('git', ['ls-files', '--', ...touched], { cwd: root, encoding: 'utf8' }).stdout.split('\n');
  const restorable = touched.filter((path) => tracked.some((file) => file === path || file.startsWith(`${path}/`)));
  const undo = [`git checkout HEAD -- ${restorable.join(' ')}`, ...(plan.squash ? [`rm ${plan.squash.path}`] : [])];
  console.log(`Undo: ${undo.join(' && ')}`);
}
if (existsSync(join(root, '.data', 'postgres'))) {
  console.log(`
.data/postgres holds a database migrated with the examples' schema, which the squashed
migration cannot run on: delete .data/postgres before npm start (or set DATABASE_URL to an
empty database).`);
}
