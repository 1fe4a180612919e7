import {
  BadRequestException,
  ForbiddenException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { OPERATORS_ONLY, setRequestActor, STREAM_TICKETS_ACCEPTED } from '#event-sourcing/http';
import { ANY_OWNER_ROLES, OPERATOR_ROLE } from './access-roles.js';
import { BearerTokenVerifier, InvalidTokenError, UnusableClaimError, type Principal } from './bearer-token.verifier.js';
import { IS_PUBLIC } from './public.decorator.js';
import { setRequestPrincipal } from './request-principal.js';
import { missingRole, REQUIRED_ROLES } from './roles.decorator.js';
import { StreamTicketRefusedError, type StreamTickets } from './stream-tickets.js';

const BEARER = /^Bearer +(\S+)$/i;

/** The refusal of a request without a bearer token. */
export const missingToken = () => new UnauthorizedException('This route needs an Authorization: Bearer <token> header');

/** The refusal of a request to a live view without a bearer token or a stream ticket. */
const missingCredential = () =>
  new UnauthorizedException(
    'This route needs an Authorization: Bearer <token> header, or ?ticket= from POST /stream-tickets',
  );

/**
 * Every route needs a valid bearer token unless it is `@Public()`; `@Roles()` routes also
 * need one of their roles, `@OperatorsOnly()` routes the operator role. The token's subject
 * becomes the actor of the request's events, and the owner of the streams it creates.
 * A route that `@AcceptsStreamTicket()` takes a stream ticket instead (`?ticket=`), which
 * stands for the subject and roles of the token that asked for it (see {@link StreamTickets}).
 */
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: BearerTokenVerifier,
    private readonly tickets: StreamTickets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const acceptsTicket = this.reflector.getAllAndOverride<boolean>(STREAM_TICKETS_ACCEPTED, targets);
    const ticket: unknown = acceptsTicket ? request.query.ticket : undefined;
    if (token === undefined && ticket === undefined) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw acceptsTicket ? missingCredential() : missingToken();
    }
    const bearer = token === undefined ? undefined : await this.verify(token, response);
    const holder = ticket === undefined ? undefined : await this.redeem(ticket, request, response);
    if (bearer && holder && bearer.id !== holder.id) {
      throw new ForbiddenException('The stream ticket was issued to another subject than the bearer token names');
    }
    const principal = (holder ?? bearer)!;
    const required =
      this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, targets) ??
      (this.reflector.getAllAndOverride<boolean>(OPERATORS_ONLY, targets) ? [OPERATOR_ROLE] : undefined);
    if (required && !required.some((role) => principal.roles.includes(role))) {
      throw missingRole(required);
    }
    setRequestPrincipal(request, principal);
    setRequestActor(request, principal.id, {
      actsForAnyOwner: principal.roles.some((role) => ANY_OWNER_ROLES.includes(role)),
    });
    return true;
  }

  private async verify(token: string, response: Response): Promise<Principal> {
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof UnusableClaimError) {
        response.setHeader('WWW-Authenticate', 'Bearer error="invalid_request"');
        throw new BadRequestException(error.message);
      }
      if (!(error instanceof InvalidTokenError)) throw error;
      // RFC 6750, 3: the error code tells a client that a new token would help.
      response.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new UnauthorizedException(error.message);
    }
  }

  private async redeem(ticket: unknown, request: Request, response: Response): Promise<Principal> {
    try {
      if (typeof ticket !== 'string') throw new StreamTicketRefusedError('Send one ?ticket=, a string');
      return await this.tickets.redeem(ticket, request.path);
    } catch (error) {
      if (error instanceof StreamTicketRefusedError) response.setHeader('WWW-Authenticate', 'Bearer');
      throw error;
    }
  }
}
