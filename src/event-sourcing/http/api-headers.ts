import type { HeaderObject, ParameterObject } from '@nestjs/swagger';
import { EXAMPLE_ID } from './api-examples.js';
import { IDEMPOTENCY_KEY, IF_MATCH } from './command-context.decorator.js';
import { CORRELATION_HEADER, HEADER_TOKEN } from './request-correlation.js';

// A response that documents a header always sends it.
const header = (description: string, example: string | number): HeaderObject => ({
  description,
  required: true,
  schema: typeof example === 'number' ? { type: 'integer', example } : { type: 'string', example },
});

/** Response headers, by name. */
export const RESPONSE_HEADERS = {
  ETag: header(
    'The version of the aggregate after the command, or of the state shown, as a strong entity tag: send it back in If-Match',
    '"3"',
  ),
  Location: header('Where the new resource can be read', `/accounts/${EXAMPLE_ID}`),
  'X-Projection-Position': header(
    'The last log position the view behind this answer has processed (views follow the log and may lag)',
    42,
  ),
  'X-Projection-Stale': {
    ...header(
      'Sent, as `true`, only when the view had not reached the `minPosition` asked for by the end of the wait: the answer may not show the effect waited for',
      'true',
    ),
    required: false,
  },
  'X-Read-Source': header(
    'Which server answered: `replica` (a read replica, which may lag unless `minPosition` was given) or `primary`',
    'replica',
  ),
  'Retry-After': header('Seconds to wait before trying again', 5),
  'WWW-Authenticate': header('The scheme the route wants (RFC 6750)', 'Bearer error="invalid_token"'),
  [CORRELATION_HEADER]: header(
    "The request's own X-Correlation-Id when well-formed, else a UUIDv7 made for it: quote it when reporting a problem",
    '01a21d09-a946-71ea-8921-2ba95f9dc812',
  ),
} satisfies Record<string, HeaderObject>;

/** Response headers picked by name, for `@ApiResponse({ headers })`. */
export function responseHeaders(...names: (keyof typeof RESPONSE_HEADERS)[]): Record<string, HeaderObject> {
  return Object.fromEntries(names.map((name) => [name, RESPONSE_HEADERS[name]]));
}

const token = (description: string): Omit<ParameterObject, 'in'> & { name: string } => ({
  name: '',
  required: false,
  description,
  schema: { type: 'string', minLength: 1, maxLength: 200, pattern: HEADER_TOKEN.source },
});

/** Request headers of commands and of every route, by name, for `@ApiHeader()`. */
export const REQUEST_HEADERS = {
  'If-Match': {
    name: 'If-Match',
    required: false,
    description:
      'Apply the command only if the aggregate is at this version (its ETag), else 409; without it a conflict is retried on fresh state',
    schema: { type: 'string', pattern: IF_MATCH.source, example: '"3"' },
  },
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    required: false,
    description:
      'A repeat with the same key and the same body appends nothing and gets the first answer; the same key with another body is 422. ' +
      'The key is 1 to 200 visible ASCII characters, sent quoted as the IETF draft has it ("k", with \\" and \\\\ escaped) or bare (k): both are one key. ' +
      "It counts only for its caller (the token's subject, or anonymous), method and route, and only for IDEMPOTENCY_KEY_TTL (24 hours unless configured) after it was stored: a repeat after that is a new request",
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source, example: '"salary-2026-11"' },
  },
  [CORRELATION_HEADER]: {
    ...token(
      "Your id for this request: echoed in the response, written in the request's log lines and stored as the correlationId of the events its command appends. Commands refuse a malformed one (400); other routes make their own",
    ),
    name: CORRELATION_HEADER,
    example: 'checkout-7f3a',
  },
} satisfies Record<string, Omit<ParameterObject, 'in'> & { name: string }>;
