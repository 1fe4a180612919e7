import { SchematicsException } from '@angular-devkit/schematics';
import { posix } from 'node:path';
import ts from 'typescript';

/**
 * How a context's aggregates come to be, read from its code as it is now rather than from
 * the names the context generator gave: a creation verb renamed or a required field added
 * by hand since then is what the generated tests use. (Generated tests need a created
 * aggregate to act on.)
 */

/** @typedef {import('@angular-devkit/schematics').Tree} Tree */

/** @param {string} text */
const parse = (text) => ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, true);

/**
 * The module an identifier is imported from, as the file imports it.
 * @param {ts.SourceFile} source
 * @param {string} name
 */
function importOf(source, name) {
  for (const statement of source.statements.filter(ts.isImportDeclaration)) {
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings) && bindings.elements.some((e) => e.name.text === name)) {
      return /** @type {ts.StringLiteral} */ (statement.moduleSpecifier).text;
    }
  }
  return undefined;
}

/**
 * The aggregate's first event, as its spec's snapshot history starts (`const fullHistory =
 * [new OrderPlaced('First', ...), ...]`, which the spec keeps compiling): the expression,
 * its class, and the class's module relative to the context's root.
 * @param {Tree} tree
 * @param {{ root: string, aggregateFile: string }} layout
 */
export function creationEvent(tree, layout) {
  const specFile = layout.aggregateFile.replace(/\.ts$/, '.spec.ts');
  const missing = () =>
    new SchematicsException(
      `${specFile.slice(1)} should start its fullHistory with the creation event (const fullHistory = [new ...Created(...)]): the generated tests create the aggregate that way`,
    );
  if (!tree.exists(specFile)) throw missing();
  const source = parse(tree.readText(specFile));
  /** @type {ts.Expression | undefined} */
  let first;
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText() === 'fullHistory' &&
      node.initializer &&
      ts.isArrayLiteralExpression(node.initializer)
    ) {
      first = node.initializer.elements[0];
    } else ts.forEachChild(node, visit);
  };
  visit(source);
  if (!first || !ts.isNewExpression(first) || !ts.isIdentifier(first.expression)) throw missing();
  const eventClass = first.expression.text;
  const from = importOf(source, eventClass);
  if (from === undefined) throw missing();
  return {
    expression: first.getText(),
    eventClass,
    /** e.g. `domain/events/order-placed.event.js` */
    module: posix.join(posix.dirname(specFile.slice(layout.root.length + 1)), from),
  };
}

/**
 * The controller's route path (`@Controller('purchase-orders')`), and a body its creation
 * route (`@Post()`) takes: each required property of its DTO set to its OpenAPI example,
 * or to a sample of its type.
 * @param {Tree} tree
 * @param {{ root: string, controller: string }} layout
 */
export function creationRoute(tree, layout) {
  const source = parse(tree.readText(layout.controller));
  const controller = source.statements.filter(ts.isClassDeclaration).find((node) => decoratorNamed(node, 'Controller'));
  const path = controller && argumentText(decoratorNamed(controller, 'Controller'));
  if (!controller || path === undefined) {
    throw new SchematicsException(`${layout.controller.slice(1)} has no @Controller('<path>') class`);
  }
  const create = controller.members.filter(ts.isMethodDeclaration).find((method) => {
    const post = decoratorNamed(method, 'Post');
    return post && (argumentText(post) ?? '') === '';
  });
  const bodyParameter = create?.parameters.find((parameter) => decoratorNamed(parameter, 'Body'));
  const dtoClass = bodyParameter?.type?.getText();
  const dtoModule = dtoClass && importOf(source, dtoClass);
  if (!dtoClass || !dtoModule) {
    throw new SchematicsException(
      `${layout.controller.slice(1)} has no creation route (@Post() with an @Body() of an imported DTO class): the generated end-to-end test creates the aggregate through it`,
    );
  }
  const dtoFile = posix.join(posix.dirname(layout.controller), dtoModule).replace(/\.js$/, '.ts');
  const dto = parse(tree.readText(dtoFile))
    .statements.filter(ts.isClassDeclaration)
    .find((node) => node.name?.text === dtoClass);
  if (!dto) throw new SchematicsException(`${dtoFile.slice(1)} has no class ${dtoClass}`);
  const required = dto.members
    .filter(ts.isPropertyDeclaration)
    .filter((property) => !property.questionToken && !property.initializer && decoratorNamed(property, 'ApiProperty'));
  // A unique key (generate context --unique) takes a new value each time, or the second creation is refused.
  const unique = required.filter((property) => /^['"`]Unique\b/.test(apiOption(property, 'description') ?? ''));
  const body = required.map((property) => {
    const example = exampleOf(property, dtoFile);
    if (!unique.includes(property)) return `${property.name.getText()}: ${example}`;
    const literal = /^'([^'`$\\]*)'$/.exec(example);
    const prefix = literal ? literal[1] : `\${${example}}`;
    return `${property.name.getText()}: \`${prefix}-\${randomUUID()}\``;
  });
  return { path, body: `{ ${body.join(', ')} }`, unique: unique.length > 0 };
}

/**
 * @param {ts.Node} node
 * @param {string} name
 */
function decoratorNamed(node, name) {
  if (!ts.canHaveDecorators(node)) return undefined;
  return ts.getDecorators(node)?.find((decorator) => {
    const call = decorator.expression;
    return ts.isCallExpression(call) && call.expression.getText() === name;
  });
}

/**
 * The text of a decorator's first argument when it is a string literal; '' without one.
 * @param {ts.Decorator | undefined} decorator
 */
function argumentText(decorator) {
  const call = decorator?.expression;
  if (!call || !ts.isCallExpression(call)) return undefined;
  const [first] = call.arguments;
  if (first === undefined) return '';
  return ts.isStringLiteral(first) ? first.text : undefined;
}

/**
 * The source text of an option of a property's `@ApiProperty({ ... })`.
 * @param {ts.PropertyDeclaration} property
 * @param {string} option
 */
function apiOption(property, option) {
  const call = decoratorNamed(property, 'ApiProperty')?.expression;
  const options = call && ts.isCallExpression(call) ? call.arguments[0] : undefined;
  const found =
    options &&
    ts.isObjectLiteralExpression(options) &&
    options.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === option);
  return found && ts.isPropertyAssignment(found) ? found.initializer.getText() : undefined;
}

/**
 * @param {ts.PropertyDeclaration} property
 * @param {string} file for the error
 */
function exampleOf(property, file) {
  const example = apiOption(property, 'example');
  if (example !== undefined) return example;
  const sample = { string: "'text'", number: '1', boolean: 'true' }[property.type?.getText() ?? ''];
  if (sample === undefined) {
    throw new SchematicsException(
      `${file.slice(1)}: give ${property.name.getText()} an example in its @ApiProperty: the generated end-to-end test sends it`,
    );
  }
  return sample;
}
