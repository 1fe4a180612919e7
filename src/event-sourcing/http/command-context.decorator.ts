import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { CommandContext } from '../application/command-context.js';
import { RequestValidationError, type FieldError } from './problem-details.js';
import { requestActor } from './request-actor.js';
import { correlationIdOf, HEADER_TOKEN, headerOf } from './request-correlation.js';
import { uuidv7 } from '../application/uuid-v7.js';

/** `If-Match: "<version>"`: one version of the aggregate, in quotes. */
export const IF_MATCH = /^"(\d{1,9})"$/;

/**
 * `Idempotency-Key`: a key of 1 to 200 visible ASCII characters, the format we publish (the
 * IETF draft's section 5), sent as the draft's sf-string, `"k"` with `"` and `\` escaped by
 * `\` (draft-ietf-httpapi-idempotency-key-header, 2.1; RFC 8941, 3.3.3), or bare, `k`, as
 * clients have long sent it. Both forms name the same key.
 */
export const IDEMPOTENCY_KEY =
  /^(?:"((?:[\x21\x23-\x5b\x5d-\x7e]|\\["\\]){1,200})"|([\x21\x23-\x7e][\x21-\x7e]{0,199}))$/;

/** The key an `Idempotency-Key` value names ({@link IDEMPOTENCY_KEY}), or undefined if it names none. */
export function idempotencyKeyOf(value: string): string | undefined {
  const match = IDEMPOTENCY_KEY.exec(value);
  if (!match) return undefined;
  return match[1] === undefined ? match[2] : match[1].replace(/\\(["\\])/g, '$1');
}

/**
 * Who may repeat a request with its key: the caller (anonymous when nothing authenticated
 * it), with the same method, to the same route: its template, with `:id` left as it is.
 */
function idempotencyScopeOf(request: Request): string {
  const template = (request.route as { path?: string } | undefined)?.path ?? request.path;
  return JSON.stringify([requestActor(request) ?? null, request.method, `${request.baseUrl}${template}`]);
}

/**
 * Reads `If-Match`, `Idempotency-Key` (scoped to the caller, method and route) and the
 * request's correlation id into a {@link CommandContext}, with the actor that authentication
 * set on the request; a malformed header is a 400.
 */
export function commandContextOf(request: Request): CommandContext {
  const errors: FieldError[] = [];
  const ifMatch = headerOf(request, 'If-Match');
  const idempotencyHeader = headerOf(request, 'Idempotency-Key');
  const idempotencyKey = idempotencyHeader === undefined ? undefined : idempotencyKeyOf(idempotencyHeader);
  const correlationId = headerOf(request, 'X-Correlation-Id');
  const pinned = ifMatch === undefined ? undefined : IF_MATCH.exec(ifMatch.trim());
  if (ifMatch !== undefined && !pinned) {
    errors.push({ field: 'If-Match', message: 'If-Match must be one version in quotes, such as "3"' });
  }
  if (idempotencyHeader !== undefined && idempotencyKey === undefined) {
    errors.push({
      field: 'Idempotency-Key',
      message: 'Idempotency-Key must be 1 to 200 visible ASCII characters, quoted ("k") or bare (k)',
    });
  }
  if (correlationId !== undefined && !HEADER_TOKEN.test(correlationId)) {
    errors.push({ field: 'X-Correlation-Id', message: 'X-Correlation-Id must be 1 to 200 visible ASCII characters' });
  }
  if (errors.length > 0) throw new RequestValidationError(errors);
  return {
    commandId: uuidv7(),
    correlationId: correlationIdOf(request),
    idempotencyKey,
    idempotencyScope: idempotencyKey === undefined ? undefined : idempotencyScopeOf(request),
    expectedVersion: pinned ? Number(pinned[1]) : undefined,
    actorId: requestActor(request),
  };
}

/** The {@link CommandContext} of the current request. */
export const RequestCommandContext = createParamDecorator((_: unknown, context: ExecutionContext) =>
  commandContextOf(context.switchToHttp().getRequest<Request>()),
);
