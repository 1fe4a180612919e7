// Plain JavaScript: `npm run examples:remove` runs before anything is built, on Node 20,
// which cannot load TypeScript.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as prettier from 'prettier';
import ts from 'typescript';

export const MANIFEST = 'scripts/examples/manifest.json';

/** A whole line `// example:start` or `<!-- example:start -->`, and the same with `end`. */
const MARKER = /^\s*(?:\/\/\s*example:(start|end)|<!--\s*example:(start|end)\s*-->)\s*$/;
/** The files whose example regions are cut. */
const SCANNED = /\.(?:[cm]?[jt]s|md)$/;
export const NEVER_SCANNED = new Set(['node_modules', '.git', 'dist', '.data', 'coverage']);

/** A reason to change nothing, for the user rather than a stack trace. */
export class RemovalError extends Error {}

/**
 * @typedef {object} Plan
 * @property {string} root
 * @property {{ path: string, directory: boolean }[]} deletions
 * @property {string[]} absent manifest patterns that match nothing
 * @property {{ path: string, text: string, why: string }[]} rewrites files that stay, changed
 * @property {{ path: string, text: string, replaces: string[] } | undefined} squash
 * @property {{ path: string, text: string }} migrationsIndex
 * @property {string[]} packageScripts
 * @property {string[]} workspaces npm workspaces of package.json in deleted folders (an example front end)
 */

/**
 * The text without its example regions: each from a start marker line to the next end
 * marker line, both included.
 * @param {string} text
 * @param {string} file named in errors
 * @returns {{ text: string, regions: number }}
 */
export function cutExampleRegions(text, file) {
  /** @type {string[]} */
  const kept = [];
  let openedAt = 0;
  let regions = 0;
  text.split('\n').forEach((line, index) => {
    const match = MARKER.exec(line);
    const marker = match?.[1] ?? match?.[2];
    if (marker === 'start') {
      if (openedAt) throw new RemovalError(`${file}:${index + 1}: example:start inside the region of line ${openedAt}`);
      openedAt = index + 1;
    } else if (marker === 'end') {
      if (!openedAt) throw new RemovalError(`${file}:${index + 1}: example:end without an example:start`);
      openedAt = 0;
      regions++;
    } else if (!openedAt) {
      kept.push(line);
    }
  });
  if (openedAt) throw new RemovalError(`${file}:${openedAt}: example:start without an example:end`);
  return { text: kept.join('\n'), regions };
}

/**
 * A registration file (such as `src/contexts/index.ts`) without the examples: the imports of
 * modules under a deleted path go, and so does every array element that names what they
 * imported (`AccountsModule`, `...accountsEventMigrations`). These files carry no markers,
 * since the generators append to their imports and arrays.
 * @param {string} text
 * @param {string} file its path, which relative imports start from
 * @param {(path: string) => boolean} isDeleted whether a path (of a `.ts` file) goes
 * @returns {{ text: string, names: string[] }} the text, and the names it no longer lists
 */
export function dropRegistrations(text, file, isDeleted) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  /** @type {Set<string>} */
  const names = new Set();
  /** @type {{ start: number, end: number, replacement: string }[]} */
  const edits = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const specifier = statement.moduleSpecifier.text;
    if (!specifier.startsWith('.') || !isDeleted(join(dirname(file), specifier).replace(/\.js$/, '.ts'))) continue;
    const clause = statement.importClause;
    if (clause?.name) names.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) bindings.elements.forEach((element) => names.add(element.name.text));
    if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
    const lineEnd = text.indexOf('\n', statement.end);
    edits.push({ start: statement.getStart(source), end: lineEnd < 0 ? text.length : lineEnd + 1, replacement: '' });
  }
  /** @param {ts.Expression} element */
  const named = (element) =>
    ts.isIdentifier(element)
      ? element.text
      : ts.isSpreadElement(element) && ts.isIdentifier(element.expression)
        ? element.expression.text
        : undefined;
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isArrayLiteralExpression(node) && node.elements.some((element) => names.has(named(element) ?? ''))) {
      const kept = node.elements.filter((element) => !names.has(named(element) ?? ''));
      const replacement = `[${kept.map((element) => element.getText(source)).join(', ')}]`;
      edits.push({ start: node.getStart(source), end: node.end, replacement });
    } else {
      ts.forEachChild(node, visit);
    }
  };
  visit(source);
  const edited = edits
    .sort((a, b) => b.start - a.start)
    .reduce((result, { start, end, replacement }) => result.slice(0, start) + replacement + result.slice(end), text);
  return { text: edited, names: [...names] };
}

/** @param {string} path */
const isDirectory = (path) => existsSync(path) && statSync(path).isDirectory();

/**
 * The paths under `root` that a manifest pattern names: `*` matches within one path
 * segment, and a trailing `/` names directories only.
 * @param {string} root
 * @param {string} pattern
 * @returns {string[]}
 */
export function expandPattern(root, pattern) {
  const directoriesOnly = pattern.endsWith('/');
  let found = [''];
  for (const segment of pattern.replace(/\/$/, '').split('/')) {
    const wildcard = new RegExp(`^${segment.split('*').map(escapeRegExp).join('[^/]*')}$`);
    found = found.flatMap((base) => {
      if (!segment.includes('*')) return existsSync(join(root, base, segment)) ? [join(base, segment)] : [];
      if (!isDirectory(join(root, base))) return [];
      return readdirSync(join(root, base))
        .filter((name) => wildcard.test(name))
        .sort()
        .map((name) => join(base, name));
    });
  }
  return found.filter((path) => !directoriesOnly || isDirectory(join(root, path)));
}

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every scanned file under `dir` (relative to `root`) outside the paths about to go.
 * @param {string} root
 * @param {Set<string>} deleted
 * @param {string} dir
 * @returns {string[]}
 */
function scannedFiles(root, deleted, dir = '') {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (deleted.has(path) || NEVER_SCANNED.has(entry.name)) return [];
      if (entry.isDirectory()) return scannedFiles(root, deleted, path);
      return entry.isFile() && SCANNED.test(entry.name) ? [path] : [];
    });
}

/**
 * migrations/index.ts listing `files` (paths under migrations/, oldest first by name),
 * under the doc comment the current index has.
 * @param {string} current the current migrations/index.ts
 * @param {{ path: string, text: string }[]} files
 */
function migrationsIndex(current, files) {
  const classes = files.map(({ path, text }) => {
    const name = /export class (\w+)/.exec(text)?.[1];
    if (!name) throw new RemovalError(`${path}: no exported migration class`);
    return { name, module: `./${basename(path, '.ts')}.js` };
  });
  const comment =
    /(\/\*\*[\s\S]*?\*\/)\s*export const migrations\b/.exec(current)?.[1] ?? '/** Every migration, oldest first. */';
  return [
    ...classes.map(({ name, module }) => `import { ${name} } from '${module}';`),
    '',
    comment,
    `export const migrations = [${classes.map(({ name }) => name).join(', ')}];`,
    '',
  ].join('\n');
}

/**
 * What removing the examples changes, worked out before anything changes, so that a
 * malformed marker or manifest leaves the tree as it was.
 * @param {string} root the repository
 * @returns {Plan}
 */
export function planRemoval(root) {
  if (!existsSync(join(root, MANIFEST))) throw new RemovalError(`No ${MANIFEST}: nothing says what the examples are.`);
  /** @type {{ examples: string[], squash: { migrations: string[], into: string }, registrations: string[], tooling: string[], buildOutput: string[], packageScripts: string[] }} */
  const manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
  const matches = manifest.examples.map((pattern) => ({ pattern, paths: expandPattern(root, pattern) }));
  const examples = matches.flatMap(({ paths }) => paths);
  const replaces = manifest.squash.migrations.filter((path) => existsSync(join(root, path)));
  if (examples.length === 0 && replaces.length === 0) {
    throw new RemovalError(`The examples are gone already: nothing that ${MANIFEST} lists is left.`);
  }
  const others = [...manifest.tooling, ...manifest.buildOutput].flatMap((pattern) => expandPattern(root, pattern));
  const paths = [...new Set([...examples, ...replaces, ...others])];
  const deleted = new Set(paths);

  /** @type {Map<string, { text: string, why: string[] }>} */
  const rewritten = new Map();
  for (const path of scannedFiles(root, deleted)) {
    const cut = cutExampleRegions(readFileSync(join(root, path), 'utf8'), path);
    if (cut.regions > 0) {
      rewritten.set(path, { text: cut.text, why: [`${cut.regions} example region${cut.regions === 1 ? '' : 's'}`] });
    }
  }
  /** @param {string} path */
  const goes = (path) => [...deleted].some((gone) => path === gone || path.startsWith(`${gone}/`));
  for (const path of manifest.registrations.filter((p) => existsSync(join(root, p)))) {
    const before = rewritten.get(path) ?? { text: readFileSync(join(root, path), 'utf8'), why: [] };
    const { text, names } = dropRegistrations(before.text, path, goes);
    if (names.length > 0) rewritten.set(path, { text, why: [...before.why, `no more ${names.join(', ')}`] });
  }

  /** @type {string[]} */
  const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];

  const squash =
    replaces.length > 0
      ? {
          path: join('migrations', basename(manifest.squash.into)),
          text: readFileSync(join(root, manifest.squash.into), 'utf8'),
          replaces,
        }
      : undefined;
  const kept = readdirSync(join(root, 'migrations'))
    .filter((name) => name.endsWith('.ts') && name !== 'index.ts')
    .map((name) => join('migrations', name))
    .filter((path) => !deleted.has(path) && path !== squash?.path)
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
  const listed = [...kept, ...(squash ? [squash] : [])].sort((a, b) => a.path.localeCompare(b.path));
  const indexPath = join('migrations', 'index.ts');

  return {
    root,
    deletions: paths.map((path) => ({ path, directory: isDirectory(join(root, path)) })),
    absent: matches.filter(({ paths }) => paths.length === 0).map(({ pattern }) => pattern),
    rewrites: [...rewritten].map(([path, { text, why }]) => ({ path, text, why: why.join('; ') })),
    squash,
    migrationsIndex: { path: indexPath, text: migrationsIndex(readFileSync(join(root, indexPath), 'utf8'), listed) },
    packageScripts: manifest.packageScripts,
    workspaces: workspaces.filter((workspace) => goes(workspace.replace(/\/$/, ''))),
  };
}

/**
 * Carries out a plan: deletes, writes the squashed migration and the edited files, drops
 * the npm scripts, and formats what it wrote with the project's Prettier settings.
 * @param {Plan} plan
 * @param {(line: string) => void} log
 */
export async function applyRemoval(plan, log) {
  const { root } = plan;
  for (const pattern of plan.absent)
    log(`absent    ${pattern} (nothing matches it: gone already, or an outdated entry)`);
  for (const { path, directory } of plan.deletions) {
    rmSync(join(root, path), { recursive: true, force: true });
    log(`removed   ${path}${directory ? '/' : ''}`);
    // A folder that held only examples goes too (scripts/ once its last script is gone).
    for (let parent = dirname(path); parent !== '.' && readdirSync(join(root, parent)).length === 0;) {
      rmdirSync(join(root, parent));
      parent = dirname(parent);
    }
  }
  /** @type {{ path: string, text: string }[]} */
  const written = [];
  if (plan.squash) {
    written.push(plan.squash);
    log(`squashed  ${plan.squash.replaces.length} migrations into ${plan.squash.path}`);
  }
  written.push(plan.migrationsIndex);
  log(`listed    ${plan.migrationsIndex.path}`);
  for (const rewrite of plan.rewrites) {
    written.push(rewrite);
    log(`edited    ${rewrite.path} (${rewrite.why})`);
  }
  const packagePath = 'package.json';
  const pkg = JSON.parse(readFileSync(join(root, packagePath), 'utf8'));
  const dropped = plan.packageScripts.filter((name) => pkg.scripts?.[name] !== undefined);
  for (const name of dropped) delete pkg.scripts[name];
  if (dropped.length > 0) log(`dropped   npm script ${dropped.join(', ')} from ${packagePath}`);
  if (plan.workspaces.length > 0) {
    pkg.workspaces = pkg.workspaces.filter((/** @type {string} */ workspace) => !plan.workspaces.includes(workspace));
    log(`dropped   workspace ${plan.workspaces.join(', ')} from ${packagePath}`);
  }
  if (dropped.length > 0 || plan.workspaces.length > 0) {
    written.push({ path: packagePath, text: JSON.stringify(pkg, null, 2) });
  }
  for (const { path, text } of written) writeFileSync(join(root, path), await formatted(root, path, text));
}

/**
 * @param {string} root
 * @param {string} path
 * @param {string} text
 */
async function formatted(root, path, text) {
  const file = join(root, path);
  const info = await prettier.getFileInfo(file, { ignorePath: join(root, '.prettierignore') });
  if (info.ignored || !info.inferredParser) return text;
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}
