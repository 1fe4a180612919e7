import { strings } from '@angular-devkit/core';
import {
  apply,
  applyTemplates,
  chain,
  mergeWith,
  noop,
  schematic,
  SchematicsException,
  url,
} from '@angular-devkit/schematics';
import ts from 'typescript';
import { creationEvent, creationRoute } from '../utils/creation.js';
import { dtoImports, dtoProperty, parameters, parseFields, samples } from '../utils/fields.js';
import { formatFiles } from '../utils/format.js';
import { assertName, summaryOf } from '../utils/names.js';
import { addClassMembers, addImport, findClass } from '../utils/source.js';
import { assertAggregateMemberFree, assertOperationIdFree, generatedLayout, updateText } from '../utils/workspace.js';

/**
 * A command on the context's aggregate: a command that decides itself (no handler, nothing
 * to register), a method of the aggregate that applies the event, a route with its DTO, its
 * command spec and an end-to-end test. With `fields` (`amount:int,note:string?`) each field
 * goes from the request DTO through the command and the aggregate method into the event.
 * The tests create the aggregate as the context's code does now (see creation.js).
 * @param {{ context: string, name: string, event?: string, fields?: string }} options
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function command(options) {
  return (tree) => {
    assertName(options.name, 'command');
    const layout = generatedLayout(tree, options.context);
    const events = tree
      .getDir(`${layout.root}/domain/events`)
      .subfiles.filter((file) => file.endsWith('.event.ts'))
      .map((file) => file.replace(/\.event\.ts$/, ''));
    if (options.event === undefined) {
      throw new SchematicsException(
        `Which event does ${options.name} apply? Pass --event <name>: one of ${options.context}'s (${events.join(', ')}), or a new one, which is generated too`,
      );
    }
    assertName(options.event, 'event');
    if (tree.getDir(`${layout.root}/application/${options.name}`).subfiles.length > 0) {
      throw new SchematicsException(
        `The command ${options.name} exists already (${layout.root.slice(1)}/application/${options.name})`,
      );
    }
    const method = strings.camelize(options.name);
    assertAggregateMemberFree(layout, method, 'command');
    assertOperationIdFree(tree, options.name, 'command');
    if (findClass(tree.readText(layout.controller), 'Controller')?.members.has(method)) {
      throw new SchematicsException(
        `${layout.controller.slice(1)} has a method ${method} already: pick another command name`,
      );
    }
    const aggregateId = `${strings.camelize(layout.aggregate)}Id`;
    const fields = parseFields(options.fields, [aggregateId, 'context']);
    const eventFile = `${layout.root}/domain/events/${options.event}.event.ts`;
    if (events.includes(options.event)) assertRecords(tree.readText(eventFile), options.event, fields);
    const names = { ...options, event: options.event, aggregate: layout.aggregate, fields };
    const created = creationEvent(tree, layout);
    const route = creationRoute(tree, layout);
    const generateEvent = schematic('event', {
      context: options.context,
      name: options.event,
      ...(options.fields === undefined ? {} : { fields: options.fields }),
    });
    return chain([
      events.includes(options.event) ? noop() : generateEvent,
      mergeWith(
        apply(url('./files'), [
          applyTemplates({
            ...strings,
            ...names,
            summaryOf,
            created,
            route,
            dtoImports,
            dtoProperty,
            parameters,
            samples,
          }),
        ]),
      ),
      (host) => updateText(host, layout.aggregateFile, (text) => addMethod(text, names)),
      (host) => updateText(host, layout.controller, (text) => addRoute(text, names)),
      formatFiles(),
    ]);
  };
}

/**
 * An existing event must record exactly the fields given, in their order: the generated
 * method passes them to its constructor.
 * @param {string} text
 * @param {string} event
 * @param {{ name: string }[]} fields
 */
function assertRecords(text, event, fields) {
  const source = ts.createSourceFile('event.ts', text, ts.ScriptTarget.Latest, true);
  const recorded = source.statements
    .filter(ts.isClassDeclaration)
    .flatMap((node) => node.members.filter(ts.isConstructorDeclaration))
    .flatMap((constructor) => constructor.parameters.map((parameter) => parameter.name.getText()));
  const given = fields.map((field) => field.name);
  if (recorded.join() !== given.join()) {
    const what = (/** @type {string[]} */ names) => (names.length === 0 ? 'no fields' : names.join(', '));
    throw new SchematicsException(
      `${strings.classify(event)} records ${what(recorded)}, and --fields gives ${what(given)}: pass --fields with its fields in its order, or a new event name`,
    );
  }
}

/**
 * @param {string} text
 * @param {{ name: string, event: string, fields: import('../utils/fields.js').Field[] }} names
 */
function addMethod(text, { name, event, fields }) {
  const eventClass = strings.classify(event);
  const args = fields.map((field) => field.name).join(', ');
  return addClassMembers(addImport(text, eventClass, `./events/${event}.event.js`), 'EventSourcedAggregate', {
    methods: [
      `/** Checks the rules (throw a DomainRuleViolation to refuse: 422), then applies what happened. */`,
      `${strings.camelize(name)}(${parameters(fields)}): void {`,
      `  this.apply(new ${eventClass}(${args}));`,
      `}`,
    ].join('\n'),
  });
}

/**
 * The route, documented as the other command routes are: its operation, and through
 * ApiCommand its headers, answer and problems, the context's not-found among them. It
 * returns the command's outcome; ApiCommand turns that into the answer and its ETag.
 * @param {string} text
 * @param {{ name: string, aggregate: string, fields: import('../utils/fields.js').Field[] }} names
 */
function addRoute(text, { name, aggregate, fields }) {
  const commandClass = strings.classify(name);
  const idParams = `${strings.classify(aggregate)}IdParams`;
  const problems = `${strings.underscore(aggregate).toUpperCase()}_PROBLEMS`;
  /** @type {[string, string, { typeOnly?: boolean }?][]} */
  const imports = [
    ...['Body', 'Param', 'Post'].map((symbol) => /** @type {[string, string]} */ ([symbol, '@nestjs/common'])),
    ['ApiOperation', '@nestjs/swagger'],
    ['CommandContext', '#event-sourcing', { typeOnly: true }],
    ['ApiCommand', '#event-sourcing/http'],
    ['RequestCommandContext', '#event-sourcing/http'],
    ['CommandResponse', '#event-sourcing/http'],
    [commandClass, `../application/${name}/${name}.command.js`],
    [problems, `./${aggregate}.problems.js`],
    [idParams, `./dto/${aggregate}-id.params.js`],
    [`${commandClass}Dto`, `./dto/${name}.dto.js`],
  ];
  const imported = imports.reduce((source, [symbol, from, kind]) => addImport(source, symbol, from, kind), text);
  return addClassMembers(imported, 'Controller', {
    methods: `@Post(':id/${name}')
  @ApiOperation({ operationId: '${strings.camelize(name)}', summary: '${summaryOf(name)}' })
  @ApiCommand({ status: 200, type: CommandResponse, notFound: ${problems}.notFound })
  ${strings.camelize(name)}(
    @Param() { id }: ${idParams},
    @Body() ${fields.length > 0 ? 'body' : '_body'}: ${commandClass}Dto,
    @RequestCommandContext() context: CommandContext,
  ) {
    return this.commands.execute(new ${commandClass}(${['id', ...fields.map((field) => `body.${field.name}`), 'context'].join(', ')}));
  }`,
  });
}
