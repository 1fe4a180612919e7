import { strings } from '@angular-devkit/core';
import pluralize from 'pluralize';

/** Lower-case ASCII words joined by single hyphens: folder, route, file and class names all derive from it. */
export const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Words JavaScript or TypeScript will not take as a variable, parameter or class name. */
export const RESERVED_WORDS = new Set(
  (
    'arguments await break case catch class const constructor continue debugger default delete do else enum eval ' +
    'export extends false finally for function if implements import in instanceof interface let new null package ' +
    'private protected prototype public return static super switch this throw true try typeof undefined var void ' +
    'while with yield'
  ).split(' '),
);

/** Names the app itself uses for folders of src/ and for routes, so a context may not take them. */
const TAKEN_BY_THE_APP = new Set(
  (
    'app auth cli config contexts database docs docs-json event-sourcing explorer health index metrics ' +
    'migrations notifications observability projections security test'
  ).split(' '),
);

/**
 * What an aggregate already is through its base class (EventSourcedAggregate) and the statics
 * the machinery reads: a command method or an event's state of that name would override it.
 */
export const AGGREGATE_BASE_MEMBERS = new Set(
  (
    'apply createdAt events getUncommittedEvents id markSaved persistedVersion replay restore restoreSnapshot ' +
    'snapshots streamType takeSnapshot toSnapshot updatedAt version'
  ).split(' '),
);

/** Classes the templates import; a generated class of the same name would shadow one of them. */
const IMPORTED_CLASSES = new Set(
  (
    'AggregateCommand AggregateNotFoundError AggregateRepository Command CommandBus CommandContext CommandOutcome ' +
    'CommandResponse ' +
    'DataSource DomainEvent DomainRuleViolation EntityManager EventSourcedAggregate EventSourcingModule ' +
    'FollowerContext FollowersService IdGenerator Module MoreThan ProjectionReadQuery QueryBus ReadsView AnswersWithVersion ' +
    'RequestValidationError Response TypeOrmModule'
  ).split(' '),
);

/** @typedef {'context' | 'aggregate' | 'command' | 'event' | 'projection'} NameOf */

/**
 * Throws a one-line explanation unless `value` can name a `what`: kebab-case, and neither
 * a reserved word nor a name the app or the templates already use.
 * @param {unknown} value
 * @param {NameOf} what
 */
export function assertName(value, what) {
  if (typeof value !== 'string' || !KEBAB_CASE.test(value)) {
    throw new Error(
      `${JSON.stringify(value)} is not a valid ${what} name: use lower-case ASCII words joined by hyphens, such as ${example(what)}`,
    );
  }
  if (RESERVED_WORDS.has(value)) {
    throw new Error(`"${value}" is a reserved word in JavaScript: pick another ${what} name`);
  }
  if (what === 'context' && TAKEN_BY_THE_APP.has(value)) {
    throw new Error(
      `"${value}" is taken by the app itself (src/${value} or the route /${value}): pick another context name`,
    );
  }
  if (IMPORTED_CLASSES.has(strings.classify(value))) {
    throw new Error(
      `"${value}" would name a class ${strings.classify(value)}, which the generated code imports: pick another ${what} name`,
    );
  }
}

/**
 * Throws unless `path` can be a controller's route: kebab-case segments joined by slashes,
 * the first not one the app serves itself.
 * @param {string} path without leading or trailing slashes
 */
export function assertRoutePath(path) {
  if (!path.split('/').every((segment) => KEBAB_CASE.test(segment))) {
    throw new Error(
      `${JSON.stringify(path)} is not a valid route path: use kebab-case segments joined by slashes, such as stock or warehouse/stock-items`,
    );
  }
  const first = path.split('/')[0];
  if (TAKEN_BY_THE_APP.has(first)) {
    throw new Error(`The route /${first} is taken by the app itself: pick another --path`);
  }
}

/** @param {NameOf} what */
function example(what) {
  return {
    context: 'inventory or purchase-orders',
    aggregate: 'stock-item',
    command: 'adjust-stock',
    event: 'stock-adjusted',
    projection: 'stock-levels',
  }[what];
}

/**
 * The OpenAPI summary of a route, from the kebab-case name of its use case: close-ticket ->
 * "Close ticket". (Its operationId is the name camelized: closeTicket.)
 * @param {string} name
 */
export const summaryOf = (name) => strings.capitalize(name.replaceAll('-', ' '));

/**
 * The singular of a kebab-case name, changing its last word only: purchase-orders -> purchase-order.
 * @param {string} name
 */
export function singular(name) {
  const words = name.split('-');
  words.push(pluralize.singular(words.pop() ?? ''));
  return words.join('-');
}

/**
 * Every name a new bounded context derives from its own (kebab-case): the aggregate is the
 * singular of the context name unless given (`inventory` -> Inventory, `purchase-orders` ->
 * PurchaseOrder), and its first event, command, query and view are named after the aggregate.
 * @param {string} name
 * @param {string} [aggregate]
 */
export function contextNames(name, aggregate = singular(name)) {
  return {
    name,
    aggregate,
    created: `${aggregate}-created`,
    create: `create-${aggregate}`,
    get: `get-${aggregate}`,
    events: `get-${aggregate}-events`,
    summaries: `${aggregate}-summaries`,
    summary: `${aggregate}-summary`,
    list: `list-${name}`,
  };
}
