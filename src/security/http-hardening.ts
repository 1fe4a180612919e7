import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';
import { EXPLORER_PATH, explorerContentSecurityPolicy } from '../explorer/explorer-assets.js';
import { rateLimitPerClient } from './rate-limit.js';

/** Where SwaggerModule serves the UI, its assets and the OpenAPI document. */
export const DOCS_PATH = 'docs';

// JSON never needs to load anything or be framed: the strictest policy there is.
const apiHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});
// Swagger UI is a page with its own scripts, styles and data: images; helmet's default policy allows just those.
const docsHeaders = helmet();

// The explorer's page and its modules (not its JSON API, which is JSON like the rest).
const EXPLORER_PAGE = new RegExp(`^/${EXPLORER_PATH}(/(?!api(/|$))|$)`);

/** Security headers, CORS, the client's address and its rate limit: what every request goes through first. */
export function hardenHttp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustProxyHops);
  // The explorer page runs its own scripts (and one inline import map): a policy of its own that allows just those.
  const explorerHeaders = config.explorer
    ? helmet({ contentSecurityPolicy: { useDefaults: false, directives: explorerContentSecurityPolicy() } })
    : apiHeaders;
  app.use((request: Request, response: Response, next: NextFunction) => {
    const headers = request.path.startsWith(`/${DOCS_PATH}`)
      ? docsHeaders
      : EXPLORER_PAGE.test(request.path)
        ? explorerHeaders
        : apiHeaders;
    headers(request, response, next);
  });
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
      // What a frontend reads: versions, new resources, when to retry and how much is left (RateLimit, draft-7), positions.
      exposedHeaders: [
        'ETag',
        'Location',
        'RateLimit',
        'RateLimit-Policy',
        'Retry-After',
        'X-Correlation-Id',
        'X-Projection-Position',
        'X-Read-Source',
        'X-Projection-Stale',
      ],
      maxAge: 600,
    });
  }
  if (config.rateLimitPerMinute > 0) app.use(rateLimitPerClient(config.rateLimitPerMinute));
}
