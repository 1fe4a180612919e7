import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import {
  AggregateNotFoundError,
  ConcurrencyError,
  DomainConflict,
  DomainRuleViolation,
  IdempotencyKeyReusedError,
  UnreadableEventError,
} from '../domain/errors.js';
import { EventIdTakenError } from '../store/event-store.js';
import { allowedMethods } from './allowed-methods.js';
import { RequestValidationError, type ProblemDetails } from './problem-details.js';
import { TooManyStreamsError } from './streams-per-client.js';

const RETRY_AFTER_SECONDS = 5;

/** What the `type` of this API's own problems starts with; a plain HTTP status is `about:blank`. */
export const PROBLEM_TYPE_PREFIX = 'urn:chronicle:problem:';

/**
 * No answer was ready within the app's deadline (its work may still finish): 503, to be
 * tried again after Retry-After with the same Idempotency-Key.
 */
export class AnswerDeadlineError extends Error {}

function problem(status: number, slug: string | undefined, detail: string, title?: string): ProblemDetails {
  return {
    type: slug ? `${PROBLEM_TYPE_PREFIX}${slug}` : 'about:blank',
    title: title ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
  };
}

// Connection-level failures (refused, reset, server shutting down or starting) mean the
// database is unreachable, which a client may retry; any other database error is a bug.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);

function isDatabaseUnreachable(error: unknown): boolean {
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const { code, message } = cause as { code?: string; message?: string };
  return (
    (code !== undefined && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) ||
    /Connection terminated|Client has encountered a connection error/.test(message ?? '')
  );
}

// Nest hands body-parser's refusals over as HttpExceptions; their cause says what was wrong with the body.
function bodyFault(cause: unknown): { type: string; message: string } | undefined {
  const { type, code, message } = (cause ?? {}) as { type?: unknown; code?: unknown; message?: string };
  if (typeof type === 'string' && /^(entity|encoding|charset|request|stream)\./.test(type)) {
    return { type, message: message ?? type };
  }
  // zlib's own errors: the bytes do not match their Content-Encoding.
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return { type: 'encoding.invalid', message: 'its bytes do not match its Content-Encoding' };
  }
  return undefined;
}

// Every pooled connection stayed busy for DATABASE_POOL_WAIT_MS (pg-pool's message), or
// the server cancelled a statement that ran past DATABASE_STATEMENT_TIMEOUT_MS (57014), or
// gave up waiting for a lock (55P03), or has no connection slot left (53300): it is
// overloaded or something holds what the request needs. Nothing was stored (the
// transaction rolled back), so the client may retry later, as for an unreachable database.
// Or the server did not answer a statement at all within DATABASE_QUERY_TIMEOUT_MS (pg's
// 'Query read timeout', and the app's own, which also closes the connection), or a new
// connection within that time (pg's 'timeout expired'): a stopped server. Its transaction
// dies with the connection; a statement that had reached the server may still run once it
// resumes, which a retry with the same Idempotency-Key resolves.
const OVERLOADED_CODES = new Set(['57014', '55P03', '53300']);

function isDatabaseOverloaded(error: unknown): boolean {
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const { code, message = '' } = cause as { code?: string; message?: string };
  return (
    OVERLOADED_CODES.has(code ?? '') ||
    message === 'timeout exceeded when trying to connect' ||
    message === 'timeout expired' ||
    message.startsWith('Query read timeout')
  );
}

/** The problem document an error is answered with; the API docs' examples come from here too. */
export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof RequestValidationError) {
    return { ...problem(400, 'invalid-request', error.message, 'Invalid request'), errors: error.errors };
  }
  if (error instanceof ConcurrencyError) return problem(409, 'concurrency-conflict', error.message, 'Conflict');
  if (error instanceof EventIdTakenError) return problem(409, 'event-id-taken', error.message, 'Conflict');
  if (error instanceof AggregateNotFoundError) return problem(404, 'not-found', error.message);
  if (error instanceof IdempotencyKeyReusedError) return problem(422, 'idempotency-key-reused', error.message);
  if (error instanceof DomainConflict) return problem(409, error.code.replaceAll('_', '-'), error.message);
  if (error instanceof DomainRuleViolation) return problem(422, error.code.replaceAll('_', '-'), error.message);
  if (error instanceof UnreadableEventError) return problem(500, 'unreadable-event', error.message);
  if (error instanceof TooManyStreamsError) return problem(429, 'too-many-streams', error.message);
  if (error instanceof AnswerDeadlineError) return problem(503, 'deadline-exceeded', error.message);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const fault = bodyFault(error.cause);
    if (fault?.type === 'entity.parse.failed') {
      return problem(status, 'malformed-json', `The request body is not valid JSON: ${fault.message}`);
    }
    if (fault?.type === 'entity.too.large') {
      return problem(status, 'body-too-large', 'The request body is larger than the limit (BODY_LIMIT)');
    }
    if (fault) return problem(status, 'unreadable-body', `The request body cannot be read: ${fault.message}`);
    // Not the body's bytes but its declared type: a state-changing request that is not JSON.
    if (status === 415) return problem(status, 'unsupported-media-type', error.message);
    return problem(status, undefined, error.message);
  }
  if (isDatabaseUnreachable(error)) {
    return problem(503, 'database-unavailable', 'The database cannot be reached; try again shortly');
  }
  if (isDatabaseOverloaded(error)) {
    return problem(503, 'database-busy', 'The database did not answer in time; try again shortly');
  }
  return problem(500, undefined, 'An unexpected error occurred');
}

/** Answers every error as `application/problem+json` (RFC 9457), with the statuses of API.md. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // A late answer to a request answered already (its deadline passed): nothing to report.
    if (response.headersSent && (error as NodeJS.ErrnoException).code === 'ERR_HTTP_HEADERS_SENT') return;
    let body = toProblem(error);
    // No route for this method, but one for the path: RFC 9110 (15.5.6) wants 405 and Allow.
    const request = host.switchToHttp().getRequest<Request>();
    const allowed = body.status === 404 ? allowedMethods(request) : [];
    const wrongMethod = allowed.length > 0 && !allowed.includes(request.method);
    if (wrongMethod) {
      body = problem(405, 'method-not-allowed', `${request.method} is not allowed here; ${allowed.join(', ')} are`);
    }
    if (body.status === 503) {
      this.logger.warn(`database unavailable: ${(error as Error).message}`);
    } else if (error instanceof UnreadableEventError) {
      // The message names the stored event; a stack trace would add nothing.
      this.logger.error(error.message);
    } else if (body.status >= 500) {
      this.logger.error((error as Error).stack ?? String(error));
    }
    if (response.headersSent) return;
    if (wrongMethod) response.setHeader('Allow', allowed.join(', '));
    sendProblem(response, body);
  }
}

/**
 * Answers `error` as the problem the filter would make of it, from outside a route (an
 * Express middleware, a timer), where Nest's filter does not reach.
 */
export function answerWithProblem(response: Response, error: unknown): void {
  sendProblem(response, toProblem(error));
}

function sendProblem(response: Response, body: ProblemDetails): void {
  if (body.status === 503) response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  // end, not send: send would add an ETag of the bytes, and a problem has no version a
  // client could send back in If-Match.
  const json = JSON.stringify(body);
  response
    .status(body.status)
    .type('application/problem+json')
    .setHeader('Content-Length', Buffer.byteLength(json))
    .end(json);
}
