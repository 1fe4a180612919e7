import { applyDecorators, ForbiddenException, SetMetadata } from '@nestjs/common';
import { ApiProblemResponses, problemExample } from '#event-sourcing/http';

export const REQUIRED_ROLES = 'chronicle:auth:roles';

/**
 * When authentication is on, only a token holding at least one of these roles may call
 * the route (403 otherwise). With authentication off every route is open, this one too.
 */
export const Roles = (...roles: [string, ...string[]]): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLES, roles),
    ApiProblemResponses(problemExample('Authentication is on and the token has none of the roles', missingRole(roles))),
  );

/** The refusal of a token without any of `roles`. */
export function missingRole(roles: string[]): ForbiddenException {
  return new ForbiddenException(`This route needs the role ${roles.join(' or ')}`);
}
