import { strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, SchematicsException, url } from '@angular-devkit/schematics';
import { MetadataManager } from '@nestjs/schematics';
import { formatFiles } from '../utils/format.js';
import { creationEvent, creationRoute } from '../utils/creation.js';
import { assertName, singular } from '../utils/names.js';
import { addImport, appendToArray, arrayPassedTo } from '../utils/source.js';
import {
  assertProjectionFree,
  CONTEXTS,
  generatedLayout,
  nextMigration,
  registerMigration,
  updateText,
} from '../utils/workspace.js';

/**
 * A projection following the log from the context's creation event: follower, table entity
 * and migration, registered in the context's module and migrations/index.ts, and a test.
 * @param {{ context: string, name: string }} options
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function projection(options) {
  return (tree) => {
    assertName(options.name, 'projection');
    const layout = generatedLayout(tree, options.context);
    assertProjectionFree(tree, options.name);
    const entity = singular(options.name);
    tree.getDir(CONTEXTS).visit((path) => {
      if (path.endsWith(`/${entity}.entity.ts`)) {
        throw new SchematicsException(
          `The entity ${strings.classify(entity)} exists already (${path.slice(1)}): pick another projection name`,
        );
      }
    });
    const migration = nextMigration(tree, options.name);
    const created = creationEvent(tree, layout);
    const route = creationRoute(tree, layout);
    const names = {
      ...options,
      aggregate: layout.aggregate,
      entity,
      migration,
      migrationFile: migration.file,
      created,
      route,
    };
    const folder = `./infrastructure/${options.name}`;
    return chain([
      mergeWith(apply(url('./files'), [applyTemplates({ ...strings, ...names })])),
      (host) =>
        updateText(host, layout.module, (text) => {
          const projectionClass = `${strings.classify(options.name)}Projection`;
          const entityClass = strings.classify(entity);
          let source = addImport(text, projectionClass, `${folder}/${options.name}.projection.js`);
          source = addImport(source, entityClass, `${folder}/${entity}.entity.js`);
          source = appendToArray(
            source,
            arrayPassedTo('TypeOrmModule', 'forFeature'),
            entityClass,
            `TypeOrmModule.forFeature([...]) in ${layout.module.slice(1)}`,
          );
          return new MetadataManager(source).insert('providers', projectionClass) ?? source;
        }),
      (host) => registerMigration(host, migration),
      formatFiles(),
    ]);
  };
}
