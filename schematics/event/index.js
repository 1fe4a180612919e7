import { strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, move, url } from '@angular-devkit/schematics';
import { formatFiles } from '../utils/format.js';
import { assertName } from '../utils/names.js';
import { addClassMembers, addImport, appendToArray, arrayOfConstant, arrayOfProperty } from '../utils/source.js';
import { assertAggregateMemberFree, assertEventTypeFree, contextLayout, updateText } from '../utils/workspace.js';

/**
 * A domain event in the context's domain/events; in the aggregate, the event in its
 * `static events` and its applier (`@Applies(Event) on<Event>`), which records that it
 * happened in a flag of the same name; and the event in the history of the aggregate spec's
 * snapshot test, so that the test checks the flag too.
 * @param {{ context: string, name: string }} options
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
    const { members, name: aggregateClass } = layout.aggregateClass;
    if (members.has('snapshots')) {
      const handWritten = members.has('toSnapshot') ? ` and add ${flag} to its toSnapshot() and restore()` : '';
      context.logger.warn(`${aggregateClass} takes snapshots: raise its snapshots.version${handWritten}`);
    }
    const spec = layout.aggregateFile.replace(/\.ts$/, '.spec.ts');
    return chain([
      mergeWith(apply(url('./files'), [applyTemplates({ ...strings, ...options }), move(layout.root)])),
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
            property: `/** Whether ${eventClass} happened: the rules of command methods may ask. */\n${flag} = false;`,
            methods: [
              `/** Copies what ${eventClass} records into state. It runs on replay too: no rules, clock or I/O here. */`,
              `@Applies(${eventClass})`,
              `on${eventClass}(_event: ${eventClass}): void {`,
              `  this.${flag} = true;`,
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
              `new ${eventClass}()`,
              'the history',
            ),
          );
        } else {
          context.logger.warn(
            `Add new ${eventClass}() to the fullHistory of the ${aggregateClass} spec, which its snapshot test replays`,
          );
        }
      },
      formatFiles(),
    ]);
  };
}
