// `npm run examples:remove`: deletes the example bounded contexts and everything that
// exists for them, as scripts/examples/manifest.json lists (see scripts/examples/README.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRemoval, planRemoval, RemovalError } from './removal.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

let plan;
try {
  plan = planRemoval(root);
} catch (error) {
  if (!(error instanceof RemovalError)) throw error;
  console.error(`examples:remove: ${error.message} Nothing was changed.`);
  process.exit(1);
}

const status = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
if (status.status === 0 && status.stdout.trim() !== '') {
  console.warn(
    'examples:remove: the working tree has uncommitted changes; undoing the removal with git would lose them too.',
  );
}

await applyRemoval(plan, (line) => console.log(line));

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

const undo = ['git checkout -- .', ...(plan.squash ? [`rm ${plan.squash.path}`] : [])].join(' && ');
console.log(`
The examples are removed. Check what is left: npm run lint && npm run typecheck && npm test
Undo (everything removed is tracked by git): ${undo}`);
if (existsSync(join(root, '.data', 'postgres'))) {
  console.log(`
.data/postgres holds a database migrated with the examples' schema, which the squashed
migration cannot run on: delete .data/postgres before npm start (or set DATABASE_URL to an
empty database).`);
}
