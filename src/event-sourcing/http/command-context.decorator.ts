import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { v7 as uuidv7 } from 'uuid';
import type { CommandContext } from '../application/command-context.js';
import { RequestValidationError, type FieldError } from './problem-details.js';
import { requestActor } from './request-actor.js';

const IF_MATCH = /^"(\d{1,9})"$/;
// Visible ASCII only: keys travel in headers, logs and event metadata.
const TOKEN = /^[\x21-\x7e]{1,200}$/;

function header(request: Request, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Reads `If-Match`, `Idempotency-Key` and `X-Correlation-Id` into a {@link CommandContext},
 * with the actor that authentication set on the request; a malformed header is a 400.
 */
export function commandContextOf(request: Request): CommandContext {
  const errors: FieldError[] = [];
  const ifMatch = header(request, 'If-Match');
  const idempotencyKey = header(request, 'Idempotency-Key');
  const correlationId = header(request, 'X-Correlation-Id');
  const pinned = ifMatch === undefined ? undefined : IF_MATCH.exec(ifMatch.trim());
  if (ifMatch !== undefined && !pinned) {
    errors.push({ field: 'If-Match', message: 'If-Match must be one version in quotes, such as "3"' });
  }
  if (idempotencyKey !== undefined && !TOKEN.test(idempotencyKey)) {
    errors.push({ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 200 visible ASCII characters' });
  }
  if (correlationId !== undefined && !TOKEN.test(correlationId)) {
    errors.push({ field: 'X-Correlation-Id', message: 'X-Correlation-Id must be 1 to 200 visible ASCII characters' });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  const commandId = uuidv7();
  return {
    commandId,
    correlationId: correlationId ?? commandId,
    idempotencyKey,
    expectedVersion: pinned ? Number(pinned[1]) : undefined,
    actorId: requestActor(request),
  };
}

/** The {@link CommandContext} of the current request. */
export const RequestCommandContext = createParamDecorator((_: unknown, context: ExecutionContext) =>
  commandContextOf(context.switchToHttp().getRequest<Request>()),
);
