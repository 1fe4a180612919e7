import { strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, move, SchematicsException, url } from '@angular-devkit/schematics';
import { formatFiles } from '../utils/format.js';
import { parameters, parseFields, samples } from '../utils/fields.js';
import { assertName } from '../utils/names.js';
import { addClassMembers, addImport, appendToArray, arrayOfConstant, arrayOfProperty } from '../utils/source.js';
import { assertAggregateMemberFree, assertEventTypeFree, contextLayout, updateText } from '../utils/workspace.js';

/**
 * A domain event in the context's domain/events; in the aggregate, the event in its
 * `static events` and its applier (`@Applies(Event) on<Event>`), which records that it
 * happened in a flag of the same name; and the event in the history of the aggregate spec's
 * snapshot test, so that the test checks the flag too. With `fields` (`amount:int,note:string?`)
 * the event records them, and its applier copies each into the aggregate's property of that name.
 * @param {{ context: string, name: string, fields?: string }} options
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function event(options) {
  return (tree, context) => {
    assertName(options.name, 'event');
    const layout = contextLayout(tree, options.context);
    assertEventTypeFree(tree, options.name);
    const eventClass = strings.classify(options.name);
    const flag = strings.camelize(options.name);
    assertAggregateMemberFree(layout, flag, 'event');
    assertAggregateMemberFree(layout, `on${eventClass}`, 'event');
    const { members, methods, name: aggregateClass } = layout.aggregateClass;
    const fields = parseFields(options.fields, [flag]);
    const clash = fields.find((field) => methods.has(field.name));
    if (clash) {
      throw new SchematicsException(
        `${aggregateClass} has a method ${clash.name}: the field cannot be its state, pick another name`,
      );
    }
    // A field another event records already shares its property: both events set it.
    const newState = fields.filter((field) => !members.has(field.name));
    if (members.has('snapshots')) {
      const handWritten = members.has('toSnapshot') ? ` and add ${flag} to its toSnapshot() and restore()` : '';
      context.logger.warn(`${aggregateClass} takes snapshots: raise its snapshots.version${handWritten}`);
    }
    const spec = layout.aggregateFile.replace(/\.ts$/, '.spec.ts');
    return chain([
      mergeWith(
        apply(url('./files'), [applyTemplates({ ...strings, ...options, fields, parameters }), move(layout.root)]),
      ),
      (host) =>
        updateText(host, layout.aggregateFile, (text) => {
          const imported = addImport(
            addImport(text, 'Applies', '#event-sourcing/domain'),
            eventClass,
            `./events/${options.name}.event.js`,
          );
          const listed = appendToArray(
            imported,
            arrayOfProperty('events'),
            eventClass,
            `the static events of ${aggregateClass}`,
          );
          return addClassMembers(listed, 'EventSourcedAggregate', {
            property: [
              `/** Whether ${eventClass} happened: the rules of command methods may ask. */\n${flag} = false;`,
              ...newState.map((field) =>
                field.optional
                  ? `${field.name}?: ${field.type.replace(' | undefined', '')};`
                  : `${field.name} = ${field.initial};`,
              ),
            ].join('\n'),
            methods: [
              `/** Copies what ${eventClass} records into state. It runs on replay too: no rules, clock or I/O here. */`,
              `@Applies(${eventClass})`,
              `on${eventClass}(${fields.length > 0 ? 'event' : '_event'}: ${eventClass}): void {`,
              `  this.${flag} = true;`,
              ...fields.map((field) => `  this.${field.name} = event.${field.name};`),
              `}`,
            ].join('\n'),
          });
        }),
      (host) => {
        if (host.exists(spec) && /\bconst fullHistory = \[/.test(host.readText(spec))) {
          updateText(host, spec, (text) =>
            appendToArray(
              addImport(text, eventClass, `./events/${options.name}.event.js`),
              arrayOfConstant('fullHistory'),
              `new ${eventClass}(${samples(fields)})`,
              'the history',
            ),
          );
        } else {
          context.logger.warn(
            `Add new ${eventClass}(${samples(fields)}) to the fullHistory of the ${aggregateClass} spec, which its snapshot test replays`,
          );
        }
      },
      formatFiles(),
    ]);
  };
}
