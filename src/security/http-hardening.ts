import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { rateLimitPerClient } from './rate-limit.js';

/** Where SwaggerModule serves the UI, its assets and the OpenAPI document. */
export const DOCS_PATH = 'docs';

// JSON never needs to load anything or be framed: the strictest policy there is.
const apiHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});
// Swagger UI is a page with its own scripts, styles and data: images; helmet's default policy allows just those.
const docsHeaders = helmet();

/** Security headers, CORS, the client's address and its rate limit: what every request goes through first. */
export function hardenHttp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustProxyHops);
  app.use((request: Request, response: Response, next: NextFunction) =>
    (request.path.startsWith(`/${DOCS_PATH}`) ? docsHeaders : apiHeaders)(request, response, next),
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'If-Match',
        'Idempotency-Key',
        'If-None-Match',
        'Last-Event-ID',
        'X-Correlation-Id',
      ],
      exposedHeaders: ['ETag', 'Location', 'Retry-After', 'X-Correlation-Id', 'X-Projection-Position'],
      maxAge: 600,
    });
  }
  if (config.rateLimitPerMinute > 0) app.use(rateLimitPerClient(config.rateLimitPerMinute));
}
