import { readFileSync } from 'node:fs';
import type { DataSource, MigrationInterface } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { openDataSource } from '../../src/database/open-data-source.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * `npm run examples:remove` replaces the machinery's migrations with one squashed
 * migration (scripts/examples/manifest.json, "squash"). Both must leave the same schema.
 */
const manifest = JSON.parse(readFileSync(new URL('../../scripts/examples/manifest.json', import.meta.url), 'utf8')) as {
  squash: { migrations: string[]; into: string };
};

type MigrationClass = new () => MigrationInterface;

async function migrationIn(path: string): Promise<MigrationClass> {
  const module = (await import(new URL(`../../${path}`, import.meta.url).href)) as Record<string, unknown>;
  const classes = Object.values(module).filter(
    (value): value is MigrationClass => typeof value === 'function' && 'up' in value.prototype,
  );
  if (classes.length !== 1) throw new Error(`${path} should export one migration class, not ${classes.length}`);
  return classes[0];
}

/** The public schema as PostgreSQL describes it, in a form two databases can be compared by. */
async function catalog(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const rows = (sql: string) => dataSource.query(sql) as Promise<unknown[]>;
  return {
    relations: await rows(`
      SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace ORDER BY c.relname`),
    columns: await rows(`
      SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
             a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS default, a.attcollation::regcollation::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY c.relname, a.attnum`),
    constraints: await rows(`
      SELECT conrelid::regclass::text AS relation, conname, contype, pg_get_constraintdef(oid) AS definition,
             condeferrable, condeferred
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    indexes: await rows(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
    ),
    sequences: await rows(`
      SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
        FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`),
    functions: await rows(`
      SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments, pg_get_functiondef(p.oid) AS definition
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2`),
    triggers: await rows(`
      SELECT tgrelid::regclass::text AS relation, tgname, pg_get_triggerdef(oid) AS definition
        FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    views: await rows(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1`),
    types: await rows(`
      SELECT t.typname, t.typtype FROM pg_type t
       WHERE t.typnamespace = 'public'::regnamespace AND t.typelem = 0
         AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
       ORDER BY 1`),
    extensions: await rows(`SELECT extname FROM pg_extension ORDER BY 1`),
  };
}

async function migratedCatalog(database: TestDatabase, migrations: MigrationClass[]) {
  const dataSource = await openDataSource({
    ...databaseOptions(database.url, loadConfig({}).database),
    migrations,
    logging: ['error'],
  });
  try {
    return await catalog(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

let stepByStep: TestDatabase;
let squashed: TestDatabase;
beforeAll(async () => ([stepByStep, squashed] = await Promise.all([createTestDatabase(), createTestDatabase()])));
afterAll(() => Promise.all([stepByStep?.drop(), squashed?.drop()]));

describe('the squashed migration of npm run examples:remove', () => {
  it('leaves the schema the machinery migrations leave, one by one', async () => {
    const machinery = await Promise.all(manifest.squash.migrations.map(migrationIn));
    const [expected, actual] = await Promise.all([
      migratedCatalog(stepByStep, machinery),
      migratedCatalog(squashed, [await migrationIn(manifest.squash.into)]),
    ]);
    // Not two empty descriptions that agree: the store's table and function are in them.
    expect(expected.relations).toContainEqual(expect.objectContaining({ relname: 'events', relkind: 'r' }));
    expect(expected.functions).toContainEqual(expect.objectContaining({ proname: 'chronicle_append' }));
    expect(actual).toEqual(expected);
  });
});
