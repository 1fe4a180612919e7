// Plain JavaScript (checked by tsc through JSDoc) so that it runs without a build.
import { NodeWorkflow } from '@angular-devkit/schematics/tools/index.js';
import { parseArgs } from 'node:util';
import { lastValueFrom } from 'rxjs';

const usage = `usage: npm run generate -- <generator> <arguments> [--dry-run]
  context <name> [--aggregate <name>]    a new bounded context in src/contexts/<name>
  command <context> <name> --event <event>  a command on the context's aggregate, applying that event
                                            (generated too when the context has no such event)
  event <context> <name>                 a domain event and the aggregate's handler for it
  projection <context> <name>            a view of its own: projection, table entity and migration
Names are kebab-case: lower-case ASCII words joined by hyphens.`;

/** Each generator's positional arguments, in order. */
const POSITIONALS = {
  context: ['name'],
  command: ['context', 'name'],
  event: ['context', 'name'],
  projection: ['context', 'name'],
};

/**
 * `command inventory adjust-stock --event stock-adjusted` -> the schematic and its options.
 * @param {string[]} args
 */
function parse(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { aggregate: { type: 'string' }, event: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  const [schematic, ...rest] = positionals;
  if (!Object.hasOwn(POSITIONALS, schematic)) throw new Error(usage);
  const names = POSITIONALS[/** @type {keyof typeof POSITIONALS} */ (schematic)];
  if (rest.length !== names.length) throw new Error(usage);
  /** @type {Record<string, string>} */
  const options = Object.fromEntries(names.map((name, i) => [name, rest[i]]));
  if (values.aggregate !== undefined) options.aggregate = values.aggregate;
  if (values.event !== undefined) options.event = values.event;
  return { schematic, options, dryRun: values['dry-run'] ?? false };
}

/**
 * Runs a generator of schematics/collection.json on the repository in the working
 * directory; nothing is written unless every step succeeds.
 */
async function main() {
  const { schematic, options, dryRun } = parse(process.argv.slice(2));
  const workflow = new NodeWorkflow(process.cwd(), { dryRun, schemaValidation: true });
  workflow.reporter.subscribe((event) => {
    const verb = { create: 'CREATE', update: 'UPDATE', delete: 'DELETE', rename: 'RENAME', error: 'ERROR' }[event.kind];
    console.log(`${verb} ${event.path.slice(1)}`);
  });
  await lastValueFrom(
    workflow.execute({
      collection: new URL('./collection.json', import.meta.url).pathname,
      schematic,
      options,
      allowPrivate: false,
      debug: false,
    }),
  );
  if (dryRun) console.log('(dry run: nothing written)');
}

main().catch((/** @type {Error} */ error) => {
  console.error(error.message);
  process.exitCode = 1;
});
