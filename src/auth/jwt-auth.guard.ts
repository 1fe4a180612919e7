import { BadRequestException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { OPERATORS_ONLY, setRequestActor } from '#event-sourcing/http';
import { ANY_OWNER_ROLES, OPERATOR_ROLE } from './access-roles.js';
import { BearerTokenVerifier, InvalidTokenError, UnusableClaimError } from './bearer-token.verifier.js';
import { IS_PUBLIC } from './public.decorator.js';
import { missingRole, REQUIRED_ROLES } from './roles.decorator.js';

const BEARER = /^Bearer +(\S+)$/i;

/** The refusal of a request without a bearer token. */
export const missingToken = () => new UnauthorizedException('This route needs an Authorization: Bearer <token> header');

/**
 * Every route needs a valid bearer token unless it is `@Public()`; `@Roles()` routes also
 * need one of their roles, `@OperatorsOnly()` routes the operator role. The token's subject
 * becomes the actor of the request's events, and the owner of the streams it creates.
 */
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: BearerTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw missingToken();
    }
    let principal;
    try {
      principal = await this.verifier.verify(token);
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
    const required =
      this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, targets) ??
      (this.reflector.getAllAndOverride<boolean>(OPERATORS_ONLY, targets) ? [OPERATOR_ROLE] : undefined);
    if (required && !required.some((role) => principal.roles.includes(role))) {
      throw missingRole(required);
    }
    setRequestActor(request, principal.id, {
      actsForAnyOwner: principal.roles.some((role) => ANY_OWNER_ROLES.includes(role)),
    });
    return true;
  }
}
