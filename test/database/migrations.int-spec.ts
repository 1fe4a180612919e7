import { migrations } from '../../migrations/index.js';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { openDataSource } from '../../src/database/open-data-source.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let database: TestDatabase;
beforeAll(async () => (database = await createTestDatabase()));
afterAll(() => database.drop());

describe('openDataSource', () => {
  it('lets instances that start together on an empty database apply each migration once', async () => {
    const options = databaseOptions(database.url, { ...loadConfig({}).database, poolSize: 2 });
    const said: string[] = [];
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => openDataSource(options, (line) => said.push(line))),
    );
    try {
      const applied: { name: string }[] = await opened[0].query('SELECT name FROM migrations ORDER BY id');
      const names = migrations.map((m) => new m().name);
      expect(applied.map((m) => m.name)).toEqual(names);
      // Each says what it did: one applied them all, by name, the others found nothing to do.
      expect(said.sort()).toEqual([
        `applied migrations: ${names.join(', ')}`,
        ...Array(3).fill('the schema is up to date'),
      ]);
      expect(await opened[0].showMigrations()).toBe(false);
    } finally {
      await Promise.all(opened.map((dataSource) => dataSource.destroy()));
    }
  });
});
