import { strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, move, url } from '@angular-devkit/schematics';
import { formatFiles } from '../utils/format.js';
import { assertName } from '../utils/names.js';
import { addClassMembers, addImport } from '../utils/source.js';
import { assertAggregateMemberFree, assertEventTypeFree, contextLayout, updateText } from '../utils/workspace.js';

/**
 * A domain event in the context's domain/events, and the aggregate's on<Event> handler,
 * which records that it happened in a flag of the same name.
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
    if (layout.aggregateClass.members.has('snapshots')) {
      context.logger.warn(
        `${layout.aggregateClass.name} takes snapshots: add ${flag} to its toSnapshot() and restore(), and raise snapshots.version`,
      );
    }
    return chain([
      mergeWith(apply(url('./files'), [applyTemplates({ ...strings, ...options }), move(layout.root)])),
      (host) =>
        updateText(host, layout.aggregateFile, (text) =>
          addClassMembers(addImport(text, eventClass, `./events/${options.name}.event.js`), 'EventSourcedAggregate', {
            property: `/** Whether ${eventClass} happened: the rules of command methods may ask. */\n${flag} = false;`,
            methods: [
              `/** Copies what ${eventClass} records into state. It runs on replay too: no rules, clock or I/O here. */`,
              `on${eventClass}(_event: ${eventClass}): void {`,
              `  this.${flag} = true;`,
              `}`,
            ].join('\n'),
          }),
        ),
      formatFiles(),
    ]);
  };
}
