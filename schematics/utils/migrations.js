import { addImport, appendToArray, arrayOfConstant } from './source.js';

/**
 * The timestamp of the next migration, given the text of migrations/index.ts: later than
 * every migration it lists (they run in timestamp order) and than now, as TypeORM's own are.
 * @param {string} indexText
 */
export function nextMigrationTimestamp(indexText) {
  const listed = [...indexText.matchAll(/(\d{13})\b/g)].map((match) => Number(match[1]));
  return Math.max(Date.now(), ...listed.map((t) => t + 1));
}

/**
 * migrations/index.ts with a migration imported and listed last (they run oldest first).
 * @param {string} indexText
 * @param {{ className: string, file: string }} migration `file`: its name in migrations/, without `.ts`
 */
export function listMigration(indexText, migration) {
  return appendToArray(
    addImport(indexText, migration.className, `./${migration.file}.js`),
    arrayOfConstant('migrations'),
    migration.className,
    'export const migrations = [...] in migrations/index.ts',
  );
}
