import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { createMigratedDatabase } from '../support/test-database.js';

/**
 * `npm run migration:generate` compares the entities with the migrated schema. On a clone
 * nobody has touched it must propose nothing: anything it proposed would undo what a
 * migration made on purpose (an index, a default, a CHECK) that its entity does not declare.
 */

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Every `*.entity.ts` under src/, as the CLI's data source finds them in dist/. */
async function entityClasses(): Promise<(new () => unknown)[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.entity.ts'));
  const modules = await Promise.all(files.map((file) => import(pathToFileURL(join(SRC, file)).href)));
  return modules.flatMap((module) =>
    Object.values(module).filter((value) => typeof value === 'function'),
  ) as (new () => unknown)[];
}

let migrated: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (migrated = await createMigratedDatabase()));
afterAll(() => migrated.drop());

it('finds nothing to change between the entities and the migrated schema', async () => {
  const { url } = migrated.dataSource.options as { url: string };
  const entities = await entityClasses();
  const dataSource = new DataSource({ ...databaseOptions(url, loadConfig({}).database), entities });
  await dataSource.initialize();
  try {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    expect(upQueries.map((query) => query.query)).toEqual([]);
  } finally {
    await dataSource.destroy();
  }
});
