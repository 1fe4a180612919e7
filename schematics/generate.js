// Plain JavaScript (checked by tsc through JSDoc) so that it runs without a build.
import { logging } from '@angular-devkit/core';
import { NodeWorkflow } from '@angular-devkit/schematics/tools/index.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom } from 'rxjs';

/** Each generator's positional arguments and options, as `--help` shows them. */
const GENERATORS = {
  context: {
    positionals: ['name'],
    options: ['aggregate', 'path', 'unique'],
    usage: 'context <name> [--aggregate <name>] [--path <route>] [--unique <field>]',
  },
  command: {
    positionals: ['context', 'name'],
    options: ['event', 'fields'],
    usage: 'command <context> <name> --event <event> [--fields <name:type,...>]',
  },
  event: {
    positionals: ['context', 'name'],
    options: ['fields'],
    usage: 'event <context> <name> [--fields <name:type,...>]',
  },
  projection: {
    positionals: ['context', 'name'],
    options: /** @type {string[]} */ ([]),
    usage: 'projection <context> <name>',
  },
};

const help = `usage: npm run generate -- <generator> <arguments> [--dry-run]
  ${GENERATORS.context.usage}
      a new bounded context in src/contexts/<name>, served under /<route> (default /<name>);
      --unique: a second required creation field, refused when another aggregate has it
  ${GENERATORS.command.usage}
      a command applying that event (generated if new), carrying the fields
  ${GENERATORS.event.usage}
      a domain event and the aggregate's handler for it
  ${GENERATORS.projection.usage}
      a view: projection, its spec, table entity and migration
Names are kebab-case: lower-case ASCII words joined by hyphens. Fields are name:type pairs
joined by commas: camelCase names; types int, number, string, boolean; a trailing ? makes
one optional (amount:int,note:string?).`;

/**
 * `command inventory adjust-stock --event stock-adjusted` -> the schematic and its options.
 * @param {string[]} args
 */
function parse(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      aggregate: { type: 'string' },
      event: { type: 'string' },
      fields: { type: 'string' },
      path: { type: 'string' },
      unique: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [schematic, ...rest] = positionals;
  if (values.help) return { help };
  if (!Object.hasOwn(GENERATORS, schematic)) {
    throw new Error(
      `Unknown generator ${JSON.stringify(schematic ?? '')}: use context, command, event or projection (--help)`,
    );
  }
  const generator = GENERATORS[/** @type {keyof typeof GENERATORS} */ (schematic)];
  if (rest.length !== generator.positionals.length) throw new Error(`usage: npm run generate -- ${generator.usage}`);
  /** @type {Record<string, string>} */
  const options = Object.fromEntries(generator.positionals.map((name, i) => [name, rest[i]]));
  for (const option of /** @type {const} */ (['aggregate', 'event', 'fields', 'path', 'unique'])) {
    if (values[option] === undefined) continue;
    if (!generator.options.includes(option)) {
      throw new Error(`${schematic} takes no --${option}: usage: npm run generate -- ${generator.usage}`);
    }
    options[option] = values[option];
  }
  return { schematic, options, dryRun: values['dry-run'] ?? false };
}

/** Generators that add routes: the committed OpenAPI document must follow them (a projection adds none). */
const CHANGES_API = new Set(['context', 'command']);

/**
 * Rewrites openapi.json and the typed client so that `npm test` (which fails while they are
 * stale) passes right after generating. A workspace without the script (the generators'
 * own tests) has nothing to rewrite.
 * @returns {number} the exit code
 */
function writeOpenApi(output = consoleOutput) {
  const manifest = existsSync('package.json') ? JSON.parse(readFileSync('package.json', 'utf8')) : {};
  if (!manifest.scripts?.openapi) return 0;
  output.log('npm run openapi: openapi.json and clients/typescript follow the new routes');
  const run = spawnSync('npm', ['run', '-s', 'openapi'], { stdio: 'inherit' });
  return run.status ?? 1;
}

/** Where a run's lines go: the console, or a test's lists. */
const consoleOutput = {
  log: (/** @type {string} */ line) => console.log(line),
  error: (/** @type {string} */ line) => console.error(line),
};

/**
 * Runs a generator of schematics/collection.json on the repository in the working
 * directory, as `npm run generate -- ...args`; nothing is written unless every step
 * succeeds. Errors are one line each.
 * @param {string[]} args
 * @returns {Promise<number>} the exit code
 */
export async function generate(args, output = consoleOutput) {
  try {
    const { help: text, schematic, options, dryRun } = parse(args);
    if (text !== undefined || schematic === undefined) {
      output.log(text ?? help);
      return 0;
    }
    const workflow = new NodeWorkflow(process.cwd(), { dryRun, schemaValidation: true });
    workflow.reporter.subscribe((event) => output.log(`${event.kind.toUpperCase()} ${event.path.slice(1)}`));
    const logger = new logging.Logger('generate');
    logger.subscribe((entry) => output.error(`${entry.level.toUpperCase()} ${entry.message}`));
    await lastValueFrom(
      workflow.execute({
        collection: new URL('./collection.json', import.meta.url).pathname,
        schematic,
        options,
        allowPrivate: false,
        debug: false,
        logger,
      }),
      { defaultValue: undefined },
    );
    if (dryRun) output.log('(dry run: nothing written)');
    else if (CHANGES_API.has(schematic)) return writeOpenApi(output);
    return 0;
  } catch (error) {
    output.error(/** @type {Error} */ (error).message);
    return 1;
  }
}

// Run as a script, not imported (by `node -e`, which has no script path, among others).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await generate(process.argv.slice(2));
}
