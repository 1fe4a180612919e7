import {
  applyDecorators,
  createParamDecorator,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { StreamOwners } from '../application/stream-owners.js';
import { AggregateNotFoundError } from '../domain/errors.js';
import { ownerScopeOf } from './request-actor.js';

/** Where a route finds the id of the stream it acts on: a path parameter or a top-level body field. */
export type StreamIdFrom = { param: string } | { body: string };

interface OwnedStreamRule {
  streamType: string;
  from: StreamIdFrom;
}

const OWNED_STREAM = 'chronicle:access:owned-stream';

// What a PostgreSQL text column can be asked about (no NUL); any other value is left to the route's validation.
const isStorableId = (id: unknown): id is string => typeof id === 'string' && id !== '' && !id.includes('\0');

/**
 * Refuses a request whose actor neither owns the stream the route acts on nor acts for any
 * owner, with the 404 of a stream that does not exist, so that ids cannot be probed.
 */
@Injectable()
export class OwnedStreamGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly owners: StreamOwners,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<OwnedStreamRule | undefined>(OWNED_STREAM, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<Request>();
    const scope = ownerScopeOf(request);
    if (!rule || scope === undefined) return true;
    const id: unknown =
      'param' in rule.from
        ? request.params[rule.from.param]
        : (request.body as Record<string, unknown> | undefined)?.[rule.from.body];
    // No id (a list, a creation) or one the route will refuse as malformed: nothing to own.
    if (!isStorableId(id)) return true;
    const owner = await this.owners.of(id);
    if (owner?.streamType === rule.streamType && owner.ownerId === scope) return true;
    // A path names the route's own stream, whose handler answers 404 when it is missing (or 400 when
    // the id is malformed); a stream named in a body (the source of a transfer) may not be checked
    // by the command at all, so a missing one is refused here like one of another owner.
    if (owner === undefined && 'param' in rule.from) return true;
    throw new AggregateNotFoundError(rule.streamType, id);
  }
}

/**
 * Scopes a controller's routes (or one route) to the owner of the stream they act on: the
 * subject whose command created it (see `StreamOwners`). With authentication on, an actor
 * that does not own the stream, and holds no role that acts for any owner, gets the 404 of a
 * missing stream, on reads (time travel, views of it) and commands alike. With
 * authentication off every request passes. A route without the id (a list, a creation)
 * passes too: a list filters by {@link OwnerScope}.
 *
 * ```ts
 * @OwnedStreams(Account.streamType)                                  // on the controller: the `:id` of each route
 * @OwnedStreams(Account.streamType, { body: 'fromAccountId' })       // on a route: a field of its body
 * ```
 */
export const OwnedStreams = (
  streamType: string,
  from: StreamIdFrom = { param: 'id' },
): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(OWNED_STREAM, { streamType, from } satisfies OwnedStreamRule),
    UseGuards(OwnedStreamGuard),
  );

/**
 * The route parameter decorator of a list: the owner whose rows the request may see, or
 * undefined for every row (authentication off, or an actor that acts for any owner).
 */
export const OwnerScope = createParamDecorator((_: unknown, context: ExecutionContext) =>
  ownerScopeOf(context.switchToHttp().getRequest<Request>()),
);
