import { HttpException, HttpStatus } from '@nestjs/common';
import { ConcurrencyError, IdempotencyKeyReusedError, UnreadableEventError } from '../domain/errors.js';
import { EXAMPLE_ID } from './api-examples.js';
import { problemExample } from './api-problem-responses.decorator.js';
import { RequestValidationError } from './problem-details.js';
import { TooManyStreamsError } from './streams-per-client.js';

// body-parser's errors, as Nest hands them to the filter.
const bodyFault = (status: HttpStatus, type: string, message: string) =>
  new HttpException(message, status, { cause: Object.assign(new Error(message), { type }) });

// pg's error for a refused connection, and PostgreSQL's for a cancelled statement.
const databaseError = (code: string, message: string) => Object.assign(new Error(message), { code });

/** The problems any route or any command may answer with, whatever its bounded context. */
export const PROBLEMS = {
  invalidRequest: problemExample(
    'A path, query, header or body field breaks its rules; `errors` names each one',
    new RequestValidationError([
      { field: 'note', message: 'property note should not exist' },
      { field: 'amount', message: 'amount must not be less than 1' },
    ]),
  ),
  malformedJson: problemExample(
    'The body is not valid JSON',
    bodyFault(HttpStatus.BAD_REQUEST, 'entity.parse.failed', 'Unexpected end of JSON input'),
  ),
  unreadableBody: problemExample(
    'The bytes of the body do not match its Content-Encoding',
    bodyFault(HttpStatus.BAD_REQUEST, 'encoding.invalid', 'its bytes do not match its Content-Encoding'),
  ),
  bodyTooLarge: problemExample(
    'The body is larger than BODY_LIMIT (100 kB by default)',
    bodyFault(HttpStatus.PAYLOAD_TOO_LARGE, 'entity.too.large', 'request entity too large'),
  ),
  unsupportedBody: problemExample(
    'The body has a charset or Content-Encoding the API does not read',
    bodyFault(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'charset.unsupported', 'unsupported charset "LATIN-9"'),
  ),
  unsupportedMediaType: problemExample(
    'The request changes state (POST, PUT, PATCH, DELETE) and its Content-Type is not application/json; with no body too, so that a plain form or text/plain request from another site changes nothing',
    new HttpException(
      'POST needs Content-Type: application/json, also without a body; got "text/plain"',
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
  ),
  concurrencyConflict: problemExample(
    'If-Match names a version that is not the current one, or concurrent writers kept winning for COMMAND_RETRIES retries; nothing was stored',
    new ConcurrencyError(EXAMPLE_ID, 2, 3),
  ),
  idempotencyKeyReused: problemExample(
    'The Idempotency-Key was used before for a request with another body',
    new IdempotencyKeyReusedError('salary-2026-11'),
  ),
  tooManyRequests: problemExample(
    'More than RATE_LIMIT_PER_MINUTE requests (600 by default) from this client address in a minute',
    new HttpException('At most 600 requests a minute; retry in 42 s', HttpStatus.TOO_MANY_REQUESTS),
  ),
  tooManyStreams: problemExample(
    'This client address has SSE_MAX_STREAMS_PER_CLIENT streams open already (10 by default)',
    new TooManyStreamsError(10),
  ),
  unexpected: problemExample('A bug: the log has its details', new Error('something broke')),
  unreadableEvent: problemExample(
    'A stored event this build cannot read: no class or upcaster for its type and schema version, or a payload that does not decode',
    new UnreadableEventError(7, 'MoneyDeposited', 3, 'no upcaster from schema version 3'),
  ),
  databaseUnavailable: problemExample(
    'The database cannot be reached: retry after Retry-After seconds (with the same Idempotency-Key, a command is not applied twice)',
    databaseError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
  ),
  databaseBusy: problemExample(
    'The database did not answer in time (no free pooled connection within DATABASE_POOL_WAIT_MS, or a statement ran past DATABASE_STATEMENT_TIMEOUT_MS); nothing was stored',
    databaseError('57014', 'canceling statement due to statement timeout'),
  ),
};
