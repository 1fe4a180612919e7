import { applyDecorators, ForbiddenException, SetMetadata } from '@nestjs/common';
import { ApiProblemResponses, problemExample } from './api-problem-responses.decorator.js';

/** The metadata key of {@link OperatorsOnly}, for whatever authenticates requests to enforce. */
export const OPERATORS_ONLY = 'chronicle:access:operators-only';

/**
 * A route for operators, not for the owners of streams: it reads or changes what belongs to
 * everyone (the notification log, views, personal data). With authentication on, only a token
 * holding the operator role may call it (403 otherwise; src/auth names the role); with
 * authentication off every route is open, this one too.
 */
export const OperatorsOnly = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(OPERATORS_ONLY, true),
    ApiProblemResponses(
      // As src/auth refuses it, with its operator role.
      problemExample(
        'Authentication is on and the token lacks the operator role',
        new ForbiddenException('This route needs the role admin'),
      ),
    ),
  );
