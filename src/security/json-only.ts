import { HttpException, HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** The methods that may change state: each needs a JSON Content-Type, and may carry a body. */
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every request that may change state must say `Content-Type: application/json`, those
 * without a body too; anything else is a 415 problem before routing, whatever the route.
 * A browser sends such a header from another site only after a CORS preflight, which
 * CORS_ORIGINS decides: a form or a `text/plain` fetch from any page (a "simple request")
 * cannot close an account, erase a name or start a rebuild, with authentication off too.
 */
export function requireJson(request: Request, _response: Response, next: NextFunction): void {
  if (!STATE_CHANGING.has(request.method)) return next();
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/json') return next();
  next(
    new HttpException(
      `${request.method} needs Content-Type: application/json, also without a body; got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}`,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
  );
}

/**
 * The Swagger UI's `requestInterceptor`: its "Try it out" sends a command without a body
 * (`close`, a rebuild) with no Content-Type, which {@link requireJson} refuses. It runs in
 * the browser, as its source text: self-contained, no imports, no closures.
 */
export function docsSendJson(request: { method: string; headers: Record<string, string> }) {
  if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method.toUpperCase()) && !request.headers['Content-Type']) {
    request.headers['Content-Type'] = 'application/json';
  }
  return request;
}
