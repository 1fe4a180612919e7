// `npm run migration:generate -- <name>` (after `nest build`): TypeORM's migration:generate,
// made to fit the project. It compares the compiled entities with the database the app
// would open (DATABASE_URL, else the embedded one in .data/postgres, migrated by `npm start`
// or `npm run migration:run`), writes what differs as migrations/<timestamp>-<name>.ts,
// formats it as the repository is formatted, and lists it last in migrations/index.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { listMigration, nextMigrationTimestamp } from '../schematics/utils/migrations.js';
import { KEBAB_CASE } from '../schematics/utils/names.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const name = process.argv[2];
if (!name || !KEBAB_CASE.test(name)) {
  console.error(
    'usage: npm run migration:generate -- <name>, in kebab-case: what the migration changes (e.g. product-stock-check)',
  );
  process.exit(2);
}

const indexPath = join(root, 'migrations', 'index.ts');
const timestamp = nextMigrationTimestamp(readFileSync(indexPath, 'utf8'));

const cli = join(root, 'node_modules', 'typeorm', 'cli.js');
const generate = spawnSync(
  process.execPath,
  [
    cli,
    'migration:generate',
    '--dataSource',
    'dist/src/database/data-source.js',
    '--pretty',
    '--timestamp',
    String(timestamp),
    `migrations/${name}`,
  ],
  { cwd: root, encoding: 'utf8' },
);
process.stderr.write(generate.stderr);
if (/No changes in database schema were found/.test(generate.stdout)) {
  console.log('Nothing to generate: the entities match the migrated schema.');
  process.exit(0);
}
process.stdout.write(generate.stdout);
if (generate.status !== 0) process.exit(generate.status ?? 1);

const file = `${timestamp}-${name}`;
const migrationPath = join(root, 'migrations', `${file}.ts`);
const generated = readFileSync(migrationPath, 'utf8');
const className = /export class (\w+)/.exec(generated)?.[1];
if (!className) throw new Error(`${migrationPath}: TypeORM wrote no migration class`);

/** @param {string} path @param {string} text */
async function writeFormatted(path, text) {
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(text, { ...options, filepath: path }));
}
// Only types come from typeorm here: the project imports them as types (lint).
await writeFormatted(migrationPath, generated.replace(/^import \{/m, 'import type {'));
await writeFormatted(indexPath, listMigration(readFileSync(indexPath, 'utf8'), { className, file }));
console.log(
  `wrote migrations/${file}.ts and listed ${className} last in migrations/index.ts: read it, then npm run migration:run`,
);
