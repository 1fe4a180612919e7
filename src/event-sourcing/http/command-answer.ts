import type { Request } from 'express';
import type { CommandOutcome, CommandResult } from '../application/command-context.js';
import type { CommandResponse } from './command-response.js';
import { answerWith } from './route-answer.js';

/**
 * Turns the outcome a command route returns into its answer: the body every command
 * answers with, the aggregate's version as a strong `ETag`, and for a command that starts
 * an aggregate its URL in `Location` (the route's path and the new id). `@ApiCommand`
 * applies it, so routes return `commandBus.execute(...)` and never touch the response.
 * @param locates whether the command starts an aggregate, which then answers with its `Location`
 */
export const AnswersWithOutcome = (locates: boolean): MethodDecorator =>
  answerWith<CommandOutcome<CommandResult>>([], async (run, response) => {
    const { id, version, position, result } = await run();
    // Location before ETag: the order in which routes always sent them.
    if (locates) response.location(locationOf(response.req, id));
    response.setHeader('ETag', `"${version}"`);
    const body: CommandResponse & CommandResult = { id, version, position, ...result };
    return body;
  });

/** The route's own path (not the URL asked for, which may end in a slash), its parameters filled in, then the id. */
function locationOf(request: Request, id: string): string {
  const path = (request.route as { path: string }).path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(String(request.params[name])),
  );
  return `${path}/${id}`;
}
