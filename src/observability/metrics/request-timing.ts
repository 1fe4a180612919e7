import type { NextFunction, Request, Response } from 'express';
import type { AppMetrics } from './app-metrics.js';

/** Label of requests no route took: refused before routing (413, 429) or not found (404). */
export const NO_ROUTE = 'none';

/**
 * The template of the route that took the request. Middleware mounted on every path
 * (nestjs-pino's `{/*splat}`) sets `req.route` too: a request that no controller took
 * ends with that wildcard, which names no route.
 */
export function routeOf(request: Request): string {
  const template: unknown = request.route?.path;
  return typeof template === 'string' && !template.includes('*') ? `${request.baseUrl}${template}` : NO_ROUTE;
}

/**
 * Express middleware that times every request into `metrics`, labelled with the route
 * template (`/accounts/:id`), never the raw URL: ids would make a series per account.
 */
export function timeRequests(metrics: AppMetrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = routeOf(request);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(request.method, route, response.statusCode, seconds);
    });
    next();
  };
}
