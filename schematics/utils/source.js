import ts from 'typescript';

/** Edits of TypeScript source that the generators make in existing files; prettier formats the result afterwards. */

/** @param {string} text */
function parse(text) {
  return ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, true);
}

/**
 * @param {string} text
 * @param {number} position
 * @param {string} insertion
 */
const insertAt = (text, position, insertion) => text.slice(0, position) + insertion + text.slice(position);

/**
 * Imports `symbol` from `from`: into an existing import of that module if there is one
 * (of the same kind, type-only or not), else as a new line after the last import.
 * @param {string} text
 * @param {string} symbol
 * @param {string} from
 * @param {{ typeOnly?: boolean }} [options]
 */
export function addImport(text, symbol, from, { typeOnly = false } = {}) {
  const imports = parse(text).statements.filter(ts.isImportDeclaration);
  for (const declaration of imports) {
    const bindings = declaration.importClause?.namedBindings;
    if (!ts.isStringLiteral(declaration.moduleSpecifier) || declaration.moduleSpecifier.text !== from) continue;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((element) => element.name.text === symbol)) return text;
    if (Boolean(declaration.importClause?.isTypeOnly) !== typeOnly) continue;
    return insertAt(text, bindings.elements[bindings.elements.length - 1].end, `, ${symbol}`);
  }
  const line = `import ${typeOnly ? 'type ' : ''}{ ${symbol} } from '${from}';\n`;
  const last = imports.at(-1);
  return last ? insertAt(text, last.end, `\n${line.trimEnd()}`) : line + text;
}

/**
 * Appends `element` to the array literal that `isTarget` picks out of the file, such as
 * `export const migrations = [...]`.
 * @param {string} text
 * @param {(node: ts.ArrayLiteralExpression) => boolean} isTarget
 * @param {string} element
 * @param {string} what names the array in the error when there is none
 */
export function appendToArray(text, isTarget, element, what) {
  /** @type {ts.ArrayLiteralExpression | undefined} */
  let found;
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (!found && ts.isArrayLiteralExpression(node) && isTarget(node)) found = node;
    else ts.forEachChild(node, visit);
  };
  visit(parse(text));
  if (!found) throw new Error(`Cannot find ${what}`);
  const last = found.elements.at(-1);
  return last ? insertAt(text, last.end, `, ${element}`) : insertAt(text, found.elements.pos, element);
}

/**
 * Picks the array of `export const <name> = [...]`.
 * @param {string} name
 * @returns {(node: ts.ArrayLiteralExpression) => boolean}
 */
export const arrayOfConstant = (name) => (node) =>
  ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name) && node.parent.name.text === name;

/**
 * Picks the array of a class property `<name> = [...]`, such as an aggregate's `static events`.
 * @param {string} name
 * @returns {(node: ts.ArrayLiteralExpression) => boolean}
 */
export const arrayOfProperty = (name) => (node) =>
  ts.isPropertyDeclaration(node.parent) && ts.isIdentifier(node.parent.name) && node.parent.name.text === name;

/**
 * Picks the array passed to `<receiver>.<method>([...])`, e.g. `TypeOrmModule.forFeature([...])`.
 * @param {string} receiver
 * @param {string} method
 * @returns {(node: ts.ArrayLiteralExpression) => boolean}
 */
export const arrayPassedTo = (receiver, method) => (node) =>
  ts.isCallExpression(node.parent) &&
  ts.isPropertyAccessExpression(node.parent.expression) &&
  node.parent.expression.getText() === `${receiver}.${method}`;

/**
 * The first class in the file whose heritage or decorators mention `marker` (such as
 * `EventSourcedAggregate` or `Controller`), with the names of its members.
 * @param {string} text
 * @param {string} marker
 */
export function findClass(text, marker) {
  const found = parse(text)
    .statements.filter(ts.isClassDeclaration)
    .find((node) => {
      const heritage = node.heritageClauses?.map((clause) => clause.getText()) ?? [];
      const decorators = ts.getDecorators(node)?.map((decorator) => decorator.getText()) ?? [];
      return [...heritage, ...decorators].some((part) => part.includes(marker));
    });
  if (!found?.name) return undefined;
  const members = found.members.flatMap((member) =>
    member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? [member.name.text] : [],
  );
  const properties = found.members.filter(ts.isPropertyDeclaration);
  const methods = found.members.filter(ts.isMethodDeclaration).map((member) => member.name.getText());
  return {
    name: found.name.text,
    members: new Set(members),
    methods: new Set(methods),
    /** Where a new property goes: after the last one, or at the top of the body. */
    propertyEnd: properties.at(-1)?.end ?? found.members.pos,
    /** Where a new method goes: just before the closing brace. */
    bodyEnd: found.end - 1,
  };
}

/**
 * Adds a property after the class's last one, and methods at the end of its body.
 * @param {string} text
 * @param {string} marker see {@link findClass}
 * @param {{ property?: string, methods: string }} members
 */
export function addClassMembers(text, marker, { property, methods }) {
  const target = findClass(text, marker);
  if (!target) throw new Error(`Cannot find the class (${marker})`);
  const withMethods = insertAt(text, target.bodyEnd, `\n${methods}\n`);
  return property ? insertAt(withMethods, target.propertyEnd, `\n${property}`) : withMethods;
}
