import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type PathItemObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { missingToken } from './auth/jwt-auth.guard.js';
import {
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  problemExample,
  problemResponse,
  ProblemDetails,
  PROBLEMS,
  RequestValidationError,
  CORRELATION_HEADER,
} from '#event-sourcing/http';
import { METRICS_TOKEN_SCHEME } from './observability/metrics/metrics.controller.js';
import { STATE_CHANGING } from './security/json-only.js';
import { UNLIMITED } from './security/rate-limit.js';

const BEARER_SCHEME = 'bearer';

const DESCRIPTION = `Event-sourced bounded contexts on PostgreSQL (docs/API.md is the contract).

- Errors are \`application/problem+json\` (RFC 9457); \`type\` says which problem it is.
- A command answers with the aggregate's new \`version\` (also its \`ETag\`) and the log \`position\` of its last event. Send the version back in \`If-Match\` to apply a command only at that version, and an \`Idempotency-Key\` to make retries safe.
- Lists come from views that follow the log: \`X-Projection-Position\` says how far they are, \`minPosition\` waits for a position.
- Every request may send an \`X-Correlation-Id\`; every response carries one.
- Authentication is off unless AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is set.`;

const UNAUTHORIZED = problemExample(
  'Authentication is on (AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY) and the bearer token is missing, malformed, expired, forged, or for another issuer or audience',
  missingToken(),
);

// As src/security/control-characters.ts refuses them, in front of every route.
const CONTROL_CHARACTER = problemExample(
  'A query parameter or header holds a control character (C0 or DEL)',
  new RequestValidationError([{ field: 'q', message: 'q must not contain control characters' }]),
);

/**
 * Express answers a GET with a hash of its bytes as its ETag, and an If-None-Match naming
 * it with 304 (app.setup.ts), unless the route sends an ETag of its own (an aggregate's
 * version, never answered with 304). Browsers send If-None-Match by themselves.
 */
const CONDITIONAL_GET = {
  parameter: {
    in: 'header' as const,
    name: 'If-None-Match',
    required: false,
    description: 'The ETag of this answer read before: 304 if it is still byte for byte the same',
    schema: { type: 'string' as const, example: '"1f4-Kq7c5pVQ0TyRjW1u1Nw3pV9Q2hE"' },
  },
  etag: {
    description: "A hash of the answer's bytes: it changes whenever the answer does",
    required: true,
    schema: { type: 'string' as const, example: '"1f4-Kq7c5pVQ0TyRjW1u1Nw3pV9Q2hE"' },
  },
  notModified: { description: 'If-None-Match names this answer as it is now: use the copy you have' },
};

/** Whether Express answers this operation's If-None-Match from the bytes (see {@link CONDITIONAL_GET}). */
function revalidatesByBytes(method: string, operation: OperationObject): boolean {
  const ok = operation.responses['200'] as ResponseObject | undefined;
  return (
    method === 'get' &&
    ok !== undefined &&
    operation.responses['304'] === undefined &&
    ok.headers?.ETag === undefined &&
    !Object.keys(ok.content ?? {}).includes('text/event-stream')
  );
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const sortedByKey = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The app's OpenAPI document: what `/docs` and `/docs-json` serve, and what `npm run
 * openapi` writes to openapi.json. It reads the controllers' metadata only, not the
 * configuration, so every instance serves the same document, and an app created with
 * `preview: true` (nothing instantiated, no database) gives it too.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chronicle')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    // Relative: the document is served by the API it describes, whatever its address.
    .addServer('/', 'The server that serves this document')
    // example:start
    .addTag('accounts', 'Bank accounts: a bounded context whose state is its events')
    .addTag('transfers', 'Money moved between accounts by a process manager that follows the log')
    // example:end
    .addTag('notifications', 'The log of every event, for followers in other processes')
    .addTag('operations', 'Health, readiness, metrics and the followers of the log')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Only when AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is set; otherwise every route is open. `npm run auth:token` signs a development token.',
      },
      BEARER_SCHEME,
    )
    .addSecurity(METRICS_TOKEN_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, only when it is set',
    })
    .addSecurityRequirements(BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDetails] });
  documentRouteWideBehaviour(document);
  document.paths = sortedByKey(document.paths);
  document.components!.schemas = sortedByKey(document.components!.schemas ?? {});
  return document;
}

/**
 * What every route gets from the middleware and the guard in front of the controllers
 * (app.setup.ts), rather than from its own decorators: the correlation id, the bearer
 * token, the rate limit, and the 500 of a bug. Their problems are shared responses.
 */
function documentRouteWideBehaviour(document: OpenAPIObject): void {
  const correlationHeader = { [CORRELATION_HEADER]: { $ref: `#/components/headers/${CORRELATION_HEADER}` } };
  const withCorrelationHeader = (response: ResponseObject): ResponseObject => ({
    ...response,
    headers: { ...response.headers, ...correlationHeader },
  });
  const shared = {
    BadRequest: [CONTROL_CHARACTER],
    Unauthorized: [UNAUTHORIZED],
    PayloadTooLarge: [PROBLEMS.bodyTooLarge],
    UnsupportedMediaType: [PROBLEMS.unsupportedMediaType],
    TooManyRequests: [PROBLEMS.tooManyRequests],
    InternalServerError: [PROBLEMS.unexpected, PROBLEMS.unreadableEvent],
  };
  const components = (document.components ??= {});
  components.parameters = {
    [CORRELATION_HEADER]: { in: 'header', ...REQUEST_HEADERS[CORRELATION_HEADER] },
    IfNoneMatch: CONDITIONAL_GET.parameter,
  };
  components.headers = { [CORRELATION_HEADER]: RESPONSE_HEADERS[CORRELATION_HEADER], BytesETag: CONDITIONAL_GET.etag };
  components.responses = {
    ...Object.fromEntries(
      Object.entries(shared).map(([name, examples]) => [name, withCorrelationHeader(problemResponse(examples))]),
    ),
    NotModified: withCorrelationHeader(CONDITIONAL_GET.notModified),
  };
  const use = (name: keyof typeof shared) => ({
    [shared[name][0].problem.status]: { $ref: `#/components/responses/${name}` },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation: OperationObject | undefined = (item as PathItemObject)[method];
      if (!operation) continue;
      const conditional = revalidatesByBytes(method, operation);
      operation.parameters = [
        ...(operation.parameters ?? []),
        { $ref: `#/components/parameters/${CORRELATION_HEADER}` },
      ];
      const own = Object.entries(operation.responses).map(([status, response]) => [
        status,
        withCorrelationHeader(response as ResponseObject),
      ]);
      // Public routes say so with an empty requirement; every other one needs the bearer token.
      // A route's own 400 (its fields' rules) replaces the shared one.
      operation.responses = {
        ...use('BadRequest'),
        // The body's checks (src/security: size, JSON only) stand in front of every method that changes state.
        ...(STATE_CHANGING.has(method.toUpperCase())
          ? { ...use('PayloadTooLarge'), ...use('UnsupportedMediaType') }
          : {}),
        ...(operation.security === undefined ? use('Unauthorized') : {}),
        ...(UNLIMITED.test(path) ? {} : use('TooManyRequests')),
        ...use('InternalServerError'),
        ...Object.fromEntries(own),
      };
      if (conditional) {
        const ok = operation.responses['200'] as ResponseObject;
        ok.headers = { ETag: { $ref: '#/components/headers/BytesETag' }, ...ok.headers };
        operation.responses['304'] = { $ref: '#/components/responses/NotModified' };
        operation.parameters.push({ $ref: '#/components/parameters/IfNoneMatch' });
      }
    }
  }
}
