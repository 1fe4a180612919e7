// Plain JavaScript (checked by tsc through JSDoc) so that it runs without a build.
import { logging } from '@angular-devkit/core';
import { NodeWorkflow } from '@angular-devkit/schematics/tools/index.js';
import { parseArgs } from 'node:util';
import { lastValueFrom } from 'rxjs';

/** Each generator's positional arguments and options, as `--help` shows them. */
const GENERATORS = {
  context: { positionals: ['name'], usage: 'context <name> [--aggregate <name>]' },
  command: { positionals: ['context', 'name'], usage: 'command <context> <name> --event <event>' },
  event: { positionals: ['context', 'name'], usage: 'event <context> <name>' },
  projection: { positionals: ['context', 'name'], usage: 'projection <context> <name>' },
};

const help = `usage: npm run generate -- <generator> <arguments> [--dry-run]
  ${GENERATORS.context.usage.padEnd(42)}a new bounded context in src/contexts/<name>
  ${GENERATORS.command.usage.padEnd(42)}a command applying that event (generated if new)
  ${GENERATORS.event.usage.padEnd(42)}a domain event and the aggregate's handler for it
  ${GENERATORS.projection.usage.padEnd(42)}a view: projection, table entity and migration
Names are kebab-case: lower-case ASCII words joined by hyphens.`;

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
  if (values.aggregate !== undefined) options.aggregate = values.aggregate;
  if (values.event !== undefined) options.event = values.event;
  return { schematic, options, dryRun: values['dry-run'] ?? false };
}

/**
 * Runs a generator of schematics/collection.json on the repository in the working
 * directory; nothing is written unless every step succeeds.
 */
async function main() {
  const { help: text, schematic, options, dryRun } = parse(process.argv.slice(2));
  if (text !== undefined || schematic === undefined) return console.log(text);
  const workflow = new NodeWorkflow(process.cwd(), { dryRun, schemaValidation: true });
  workflow.reporter.subscribe((event) => {
    const verb = { create: 'CREATE', update: 'UPDATE', delete: 'DELETE', rename: 'RENAME', error: 'ERROR' }[event.kind];
    console.log(`${verb} ${event.path.slice(1)}`);
  });
  const logger = new logging.Logger('generate');
  logger.subscribe((entry) => console.error(`${entry.level.toUpperCase()} ${entry.message}`));
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
  if (dryRun) console.log('(dry run: nothing written)');
}

main().catch((/** @type {Error} */ error) => {
  console.error(error.message);
  process.exitCode = 1;
});
