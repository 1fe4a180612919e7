import { Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { CommandOutcome, CommandResult } from '../application/command-context.js';
import type { CommandResponse } from './command-response.js';

type RouteMethod = (...args: unknown[]) => Promise<CommandOutcome<CommandResult>>;

/**
 * Turns the outcome a command route returns into its answer: the body every command
 * answers with, the aggregate's version as a strong `ETag`, and for a command that starts
 * an aggregate its URL in `Location` (the route's path and the new id). `@ApiCommand`
 * applies it, so routes return `commandBus.execute(...)` and never touch the response.
 *
 * It wraps the route method and hands it the response as a parameter of its own after the
 * route's (`@Res({ passthrough: true })`, so Nest still sends what it returns), rather than
 * being an interceptor: an interceptor puts an RxJS pipeline around every request, which
 * cost a measurable share of the command path's CPU (docs/PERFORMANCE.md, "Commands and HTTP").
 * @param locates whether the command starts an aggregate, which then answers with its `Location`
 */
export function AnswersWithOutcome(locates: boolean): MethodDecorator {
  return (target, key, descriptor) => {
    const route = descriptor.value as unknown as RouteMethod;
    const declared = (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0;
    const responseAt = Math.max(route.length, declared);
    Res({ passthrough: true })(target, key, responseAt);
    const answering = async function (this: unknown, ...args: unknown[]): Promise<CommandResponse & CommandResult> {
      const response = args[responseAt] as Response;
      const { id, version, position, result } = await route.apply(this, args.slice(0, responseAt));
      // Location before ETag: the order in which routes always sent them.
      if (locates) response.location(locationOf(response.req, id));
      response.setHeader('ETag', `"${version}"`);
      return { id, version, position, ...result };
    };
    // What decorators below @ApiCommand recorded on the method stays with the one Nest calls.
    for (const metadataKey of Reflect.getMetadataKeys(route)) {
      Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, route), answering);
    }
    Object.defineProperty(answering, 'name', { value: route.name });
    descriptor.value = answering as unknown as typeof descriptor.value;
  };
}

/** The route's own path (not the URL asked for, which may end in a slash), its parameters filled in, then the id. */
function locationOf(request: Request, id: string): string {
  const path = (request.route as { path: string }).path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(String(request.params[name])),
  );
  return `${path}/${id}`;
}
