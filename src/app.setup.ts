import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { createOpenApiDocument } from './app.openapi.js';
import type { AppConfig } from './config/app-config.js';
import {
  ProblemDetailsFilter,
  echoCorrelationId,
  RequestValidationPipe,
  revalidateEveryAnswer,
} from '#event-sourcing/http';
import { AppMetrics } from './observability/metrics/app-metrics.js';
import { timeRequests } from './observability/metrics/request-timing.js';
import { traceRequests } from './observability/tracing/request-tracing.js';
import { answerWithin } from './security/answer-deadline.js';
import { refuseControlCharacters } from './security/control-characters.js';
import { DOCS_PATH, hardenHttp } from './security/http-hardening.js';
import { docsSendJson, requireJson } from './security/json-only.js';

/** Everything the HTTP app needs besides its modules; shared by main.ts and the end-to-end tests. */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  // First, so that every answer is traced, timed and carries its correlation id and Cache-Control, refusals too.
  express.use(traceRequests);
  express.use(timeRequests(app.get(AppMetrics)));
  express.use(echoCorrelationId);
  express.use(revalidateEveryAnswer);
  hardenHttp(express, config);
  // Before the body is read and before routing and authentication: refusals that cost nothing.
  express.use(refuseControlCharacters);
  express.use(requireJson);
  express.useBodyParser('json', { limit: config.bodyLimit });
  // Once the request is in: whatever holds its answer up, the client hears within the deadline.
  express.use(answerWithin(config.answerDeadlineMs));
  express.disable('x-powered-by');
  // Every answer without an ETag of its own gets a hash of its bytes: it changes whenever
  // they do (an erasure too), so a 304 never hides a change; strong, since it is the bytes.
  express.set('etag', 'strong');
  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  // A factory: the document is built (tens of ms of CPU) at the first request for it, which
  // most starts (a test app, a restart of `npm run start:dev`) never see.
  SwaggerModule.setup(DOCS_PATH, app, () => createOpenApiDocument(app), {
    swaggerOptions: { requestInterceptor: docsSendJson },
  });
}
