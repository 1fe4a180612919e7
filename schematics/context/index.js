import { strings } from '@angular-devkit/core';
import {
  apply,
  applyTemplates,
  chain,
  filter,
  mergeWith,
  noop,
  SchematicsException,
  url,
} from '@angular-devkit/schematics';
import { parseFields } from '../utils/fields.js';
import { formatFiles } from '../utils/format.js';
import { assertName, assertRoutePath, contextNames, summaryOf } from '../utils/names.js';
import { addImport, appendToArray, arrayOfConstant } from '../utils/source.js';
import {
  assertAggregateFree,
  assertEventTypeFree,
  assertOperationIdFree,
  assertProjectionFree,
  assertRouteFree,
  CONTEXTS,
  contextsOf,
  nextMigration,
  registerMigration,
  updateText,
} from '../utils/workspace.js';

/**
 * A new bounded context laid out as accounts is, listed in src/contexts/index.ts, with its
 * view's migration listed in migrations/index.ts. Its routes are under `path` (by default
 * its name); with `unique`, its aggregates are created with a second string field that no
 * two of them may share, kept by a reservation stream per value (docs/GUIDE.md).
 * @param {{ name: string, aggregate?: string, path?: string, unique?: string }} options
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function context(options) {
  return (tree) => {
    assertName(options.name, 'context');
    if (options.aggregate !== undefined) assertName(options.aggregate, 'aggregate');
    const names = contextNames(options.name, options.aggregate);
    const path = options.path?.replace(/^\/+|\/+$/g, '') ?? names.name;
    assertRoutePath(path);
    const [unique] =
      options.unique === undefined ? [] : parseFields(`${options.unique}:string`, ['id', 'name'], '--unique');
    const keyNames = unique && {
      key: unique.name,
      reserved: `${names.aggregate}-${strings.dasherize(unique.name)}-reserved`,
      taken: `${strings.dasherize(unique.name)}-taken`,
      reservations: `${strings.dasherize(unique.name)}-reservations`,
    };
    if (keyNames) assertEventTypeFree(tree, keyNames.reserved);
    if (contextsOf(tree).includes(names.name) || tree.getDir(`/test/${names.name}`).subfiles.length > 0) {
      throw new SchematicsException(
        `The context ${names.name} exists already (src/contexts/${names.name} or test/${names.name})`,
      );
    }
    assertRouteFree(tree, path);
    assertAggregateFree(tree, names.aggregate);
    assertEventTypeFree(tree, names.created);
    assertProjectionFree(tree, names.summaries);
    const aggregateNamedBy = options.aggregate === undefined ? 'context' : 'aggregate';
    assertOperationIdFree(tree, names.create, aggregateNamedBy);
    assertOperationIdFree(tree, names.get, aggregateNamedBy);
    assertOperationIdFree(tree, names.events, aggregateNamedBy);
    assertOperationIdFree(tree, names.list, 'context');
    const migration = nextMigration(tree, names.summaries);
    const moduleClass = `${strings.classify(names.name)}Module`;
    return chain([
      mergeWith(
        apply(url('./files'), [
          // Files named after the unique key exist only with one.
          keyNames ? noop() : filter((file) => !file.includes('__unique')),
          applyTemplates({
            ...strings,
            ...names,
            path,
            unique: keyNames,
            uniqueReserved: keyNames?.reserved,
            uniqueReservations: keyNames?.reservations,
            summaryOf,
            migration,
            migrationFile: migration.file,
          }),
        ]),
      ),
      (host) =>
        updateText(host, `${CONTEXTS}/index.ts`, (text) =>
          appendToArray(
            addImport(text, moduleClass, `./${names.name}/${names.name}.module.js`),
            arrayOfConstant('contextModules'),
            moduleClass,
            'export const contextModules = [...] in src/contexts/index.ts',
          ),
        ),
      (host) => registerMigration(host, migration),
      formatFiles(),
    ]);
  };
}
