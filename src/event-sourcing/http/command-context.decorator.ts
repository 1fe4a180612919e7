import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { v7 as uuidv7 } from 'uuid';
import type { CommandContext } from '../application/command-context.js';
import { RequestValidationError, type FieldError } from './problem-details.js';
import { requestActor } from './request-actor.js';
import { correlationIdOf, HEADER_TOKEN, headerOf } from './request-correlation.js';

/** `If-Match: "<version>"`: one version of the aggregate, in quotes. */
export const IF_MATCH = /^"(\d{1,9})"$/;

/**
 * Reads `If-Match`, `Idempotency-Key` and the request's correlation id into a {@link CommandContext},
 * with the actor that authentication set on the request; a malformed header is a 400.
 */
export function commandContextOf(request: Request): CommandContext {
  const errors: FieldError[] = [];
  const ifMatch = headerOf(request, 'If-Match');
  const idempotencyKey = headerOf(request, 'Idempotency-Key');
  const correlationId = headerOf(request, 'X-Correlation-Id');
  const pinned = ifMatch === undefined ? undefined : IF_MATCH.exec(ifMatch.trim());
  if (ifMatch !== undefined && !pinned) {
    errors.push({ field: 'If-Match', message: 'If-Match must be one version in quotes, such as "3"' });
  }
  if (idempotencyKey !== undefined && !HEADER_TOKEN.test(idempotencyKey)) {
    errors.push({ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 200 visible ASCII characters' });
  }
  if (correlationId !== undefined && !HEADER_TOKEN.test(correlationId)) {
    errors.push({ field: 'X-Correlation-Id', message: 'X-Correlation-Id must be 1 to 200 visible ASCII characters' });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  return {
    commandId: uuidv7(),
    correlationId: correlationIdOf(request),
    idempotencyKey,
    expectedVersion: pinned ? Number(pinned[1]) : undefined,
    actorId: requestActor(request),
  };
}

/** The {@link CommandContext} of the current request. */
export const RequestCommandContext = createParamDecorator((_: unknown, context: ExecutionContext) =>
  commandContextOf(context.switchToHttp().getRequest<Request>()),
);
