import { strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, SchematicsException, url } from '@angular-devkit/schematics';
import { formatFiles } from '../utils/format.js';
import { assertName, contextNames } from '../utils/names.js';
import { addImport, appendToArray, arrayOfConstant } from '../utils/source.js';
import {
  assertAggregateFree,
  assertEventTypeFree,
  assertProjectionFree,
  CONTEXTS,
  contextsOf,
  nextMigration,
  registerMigration,
  updateText,
} from '../utils/workspace.js';

/**
 * A new bounded context laid out as accounts is, listed in src/contexts/index.ts, with its
 * view's migration listed in migrations/index.ts.
 * @param {{ name: string, aggregate?: string }} options
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function context(options) {
  return (tree) => {
    assertName(options.name, 'context');
    if (options.aggregate !== undefined) assertName(options.aggregate, 'aggregate');
    const names = contextNames(options.name, options.aggregate);
    if (contextsOf(tree).includes(names.name) || tree.getDir(`/test/${names.name}`).subfiles.length > 0) {
      throw new SchematicsException(
        `The context ${names.name} exists already (src/contexts/${names.name} or test/${names.name})`,
      );
    }
    assertAggregateFree(tree, names.aggregate);
    assertEventTypeFree(tree, names.created);
    assertProjectionFree(tree, names.summaries);
    const migration = nextMigration(tree, names.summaries);
    const moduleClass = `${strings.classify(names.name)}Module`;
    return chain([
      mergeWith(
        apply(url('./files'), [applyTemplates({ ...strings, ...names, migration, migrationFile: migration.file })]),
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
