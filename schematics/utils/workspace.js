import { strings } from '@angular-devkit/core';
import { SchematicsException } from '@angular-devkit/schematics';
import { listMigration, nextMigrationTimestamp } from './migrations.js';
import { AGGREGATE_BASE_MEMBERS } from './names.js';
import { findClass } from './source.js';

/** @typedef {import('@angular-devkit/schematics').Tree} Tree */

export const CONTEXTS = '/src/contexts';
const MIGRATIONS_INDEX = '/migrations/index.ts';

/**
 * @param {Tree} tree
 * @param {string} path
 * @param {(text: string) => string} change
 */
export function updateText(tree, path, change) {
  tree.overwrite(path, change(tree.readText(path)));
}

/** @param {Tree} tree */
export const contextsOf = (tree) => tree.getDir(CONTEXTS).subdirs.map(String).sort();

/**
 * Every file under `dir` whose name ends with `suffix`.
 * @param {Tree} tree
 * @param {string} dir
 * @param {string} suffix
 */
function filesUnder(tree, dir, suffix) {
  /** @type {string[]} */
  const found = [];
  tree.getDir(dir).visit((path) => {
    if (path.endsWith(suffix)) found.push(path);
  });
  return found;
}

/**
 * A bounded context laid out as the generator lays one out (accounts is, too): the files
 * that sub-generators change, and its aggregate's names.
 * @param {Tree} tree
 * @param {string} context
 */
export function contextLayout(tree, context) {
  const root = `${CONTEXTS}/${context}`;
  if (!contextsOf(tree).includes(context)) {
    throw new SchematicsException(
      `There is no context "${context}" in src/contexts (there are: ${contextsOf(tree).join(', ')})`,
    );
  }
  const aggregates = tree.getDir(`${root}/domain`).subfiles.filter((file) => file.endsWith('.aggregate.ts'));
  if (aggregates.length !== 1) {
    throw new SchematicsException(`${root}/domain should hold exactly one *.aggregate.ts, not ${aggregates.length}`);
  }
  const aggregateFile = `${root}/domain/${aggregates[0]}`;
  const aggregateClass = findClass(tree.readText(aggregateFile), 'EventSourcedAggregate');
  if (!aggregateClass) throw new SchematicsException(`${aggregateFile} has no class extending EventSourcedAggregate`);
  const layout = {
    root,
    module: `${root}/${context}.module.ts`,
    controller: `${root}/interface/${context}.controller.ts`,
    aggregateFile,
    aggregateClass,
    /** The aggregate's kebab-case name, from its file name. */
    aggregate: aggregates[0].replace(/\.aggregate\.ts$/, ''),
  };
  for (const path of [layout.module, layout.controller]) {
    if (!tree.exists(path))
      throw new SchematicsException(`${path} is missing: the generators expect the accounts layout`);
  }
  return layout;
}

/**
 * A context the `context` generator made: the command and projection generators build on
 * its id DTO, its problems for the OpenAPI document and its TypeORM feature list (and,
 * read from the code as it is now, its creation: see creation.js).
 * @param {Tree} tree
 * @param {string} context
 */
export function generatedLayout(tree, context) {
  const layout = contextLayout(tree, context);
  const dto = `${layout.root}/interface/dto`;
  const files = {
    idParams: `${dto}/${layout.aggregate}-id.params.ts`,
    problems: `${layout.root}/interface/${layout.aggregate}.problems.ts`,
  };
  const missing = Object.values(files).filter((path) => !tree.exists(path));
  if (missing.length > 0) {
    throw new SchematicsException(
      `src/contexts/${context} has no ${missing.map((path) => path.slice(layout.root.length + 1)).join(', ')}: this generator builds on a context that \`generate context\` made`,
    );
  }
  return { ...layout, ...files };
}

/**
 * A new method or property of the aggregate must not replace one it has, or inherits.
 * @param {{ aggregateClass: { name: string, members: Set<string> } }} layout
 * @param {string} member
 * @param {string} what the name the member comes from, for the error
 */
export function assertAggregateMemberFree(layout, member, what) {
  if (layout.aggregateClass.members.has(member) || AGGREGATE_BASE_MEMBERS.has(member)) {
    throw new SchematicsException(
      `${layout.aggregateClass.name} has a member ${member} already: pick another ${what} name`,
    );
  }
}

/**
 * Event types are stored in the log and must be unique in the whole app.
 * @param {Tree} tree
 * @param {string} event kebab-case
 */
export function assertEventTypeFree(tree, event) {
  const type = strings.classify(event);
  const pattern = new RegExp(`@DomainEvent\\(\\s*'${type}'|aliases:\\s*\\[[^\\]]*'${type}'`);
  const user = filesUnder(tree, CONTEXTS, '.ts').find((path) => pattern.test(tree.readText(path)));
  if (user)
    throw new SchematicsException(`The event type ${type} exists already (${user.slice(1)}): pick another event name`);
}

/**
 * Stream types (aggregate class names) are stored in the log and must be unique in the whole app.
 * @param {Tree} tree
 * @param {string} aggregate kebab-case
 */
export function assertAggregateFree(tree, aggregate) {
  const existing = filesUnder(tree, CONTEXTS, `/${aggregate}.aggregate.ts`)[0];
  if (existing)
    throw new SchematicsException(
      `The aggregate ${strings.classify(aggregate)} exists already (${existing.slice(1)}): name another with --aggregate`,
    );
}

/**
 * OpenAPI operationIds name the typed client's operations and must be unique in the whole
 * document; a generated route's is its use case's name camelized.
 * @param {Tree} tree
 * @param {string} name kebab-case, the use case the route runs
 * @param {string} what the name it comes from, for the error
 */
export function assertOperationIdFree(tree, name, what) {
  const operationId = strings.camelize(name);
  const pattern = new RegExp(`operationId:\\s*'${operationId}'`);
  const user = filesUnder(tree, '/src', '.ts').find((path) => pattern.test(tree.readText(path)));
  if (user) {
    throw new SchematicsException(
      `The operationId ${operationId} exists already (${user.slice(1)}): pick another ${what} name`,
    );
  }
}

/**
 * Two controllers on the same path would answer each other's routes.
 * @param {Tree} tree
 * @param {string} path without leading or trailing slashes
 */
export function assertRouteFree(tree, path) {
  const pattern = new RegExp(`@Controller\\(\\s*'/?${path}/?'\\s*\\)`);
  const user = filesUnder(tree, '/src', '.controller.ts').find((file) => pattern.test(tree.readText(file)));
  if (user)
    throw new SchematicsException(`The route /${path} is served already (${user.slice(1)}): pick another --path`);
}

/**
 * A follower's name is its checkpoint's key and its view's table name: both unique in the app.
 * @param {Tree} tree
 * @param {string} projection kebab-case
 */
export function assertProjectionFree(tree, projection) {
  const followers = [
    ...filesUnder(tree, CONTEXTS, '.projection.ts'),
    ...filesUnder(tree, CONTEXTS, '.process-manager.ts'),
  ];
  const user = followers.find(
    (path) => path.includes(`/${projection}/`) || tree.readText(path).includes(`'${projection}'`),
  );
  if (user)
    throw new SchematicsException(
      `A follower named ${projection} exists already (${user.slice(1)}): pick another projection name`,
    );
  const table = strings.underscore(projection);
  const creator = filesUnder(tree, '/migrations', '.ts').find((path) =>
    new RegExp(`CREATE TABLE (IF NOT EXISTS )?${table}\\b`, 'i').test(tree.readText(path)),
  );
  if (creator)
    throw new SchematicsException(
      `The table ${table} exists already (${creator.slice(1)}): pick another projection name`,
    );
}

/**
 * The next migration: its timestamp is later than every listed one (and than now, as TypeORM's own are).
 * @param {Tree} tree
 * @param {string} name kebab-case, what the migration creates
 */
export function nextMigration(tree, name) {
  const timestamp = nextMigrationTimestamp(tree.readText(MIGRATIONS_INDEX));
  return { timestamp, className: `${strings.classify(name)}${timestamp}`, file: `${timestamp}-${name}` };
}

/**
 * Lists a migration in migrations/index.ts, last (they run oldest first).
 * @param {Tree} tree
 * @param {{ className: string, file: string }} migration
 */
export function registerMigration(tree, migration) {
  updateText(tree, MIGRATIONS_INDEX, (text) => listMigration(text, migration));
}
