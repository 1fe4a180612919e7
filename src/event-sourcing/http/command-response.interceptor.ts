import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import type { CommandOutcome, CommandResult } from '../application/command-context.js';
import type { CommandResponse } from './command-response.js';

/**
 * Turns the outcome a command route returns into its answer: the body every command
 * answers with, the aggregate's version as a strong `ETag`, and for a command that starts
 * an aggregate its URL in `Location` (the route's path and the new id). `@ApiCommand`
 * applies it, so routes return `commandBus.execute(...)` and never touch the response.
 */
export class CommandResponseInterceptor implements NestInterceptor<
  CommandOutcome<CommandResult>,
  CommandResponse & CommandResult
> {
  /** @param locates whether the command starts an aggregate, which then answers with its `Location` */
  constructor(private readonly locates: boolean) {}

  intercept(
    context: ExecutionContext,
    next: CallHandler<CommandOutcome<CommandResult>>,
  ): Observable<CommandResponse & CommandResult> {
    const http = context.switchToHttp();
    return next.handle().pipe(
      map(({ id, version, position, result }) => {
        const response = http.getResponse<Response>();
        // Location before ETag: the order in which routes always sent them.
        if (this.locates) response.location(locationOf(http.getRequest<Request>(), id));
        response.setHeader('ETag', `"${version}"`);
        return { id, version, position, ...result };
      }),
    );
  }
}

/** The route's own path (not the URL asked for, which may end in a slash), its parameters filled in, then the id. */
function locationOf(request: Request, id: string): string {
  const path = (request.route as { path: string }).path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(String(request.params[name])),
  );
  return `${path}/${id}`;
}
