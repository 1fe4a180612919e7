import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { ProblemDetails } from '../event-sourcing/http/problem-details.js';

export const REQUIRED_ROLES = 'chronicle:auth:roles';

/**
 * When authentication is on, only a token holding at least one of these roles may call
 * the route (403 otherwise). With authentication off every route is open, this one too.
 */
export const Roles = (...roles: [string, ...string[]]): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLES, roles),
    ApiForbiddenResponse({ type: ProblemDetails, description: `Needs the role ${roles.join(' or ')}` }),
  );
