import { HttpException, HttpStatus } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

const MINUTE_MS = 60_000;
/** Paths the limit never counts: probes from load balancers and orchestrators must never be refused. */
export const UNLIMITED = /^\/health(\/|$)/;

/**
 * At most `perMinute` requests per client address and minute over the whole API; more
 * is a 429 problem with `Retry-After`. It runs before body parsing and authentication,
 * so neither a flood of bodies nor one of forged tokens gets further than a counter.
 * The counters live in this process: behind N instances a client gets N times the limit.
 */
export function rateLimitPerClient(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: MINUTE_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (request) => UNLIMITED.test(request.path),
    // Handed to Nest's exception filter, which answers it as application/problem+json.
    handler: (_request, response, next) =>
      next(
        new HttpException(
          `At most ${perMinute} requests a minute; retry in ${String(response.getHeader('Retry-After'))} s`,
          HttpStatus.TOO_MANY_REQUESTS,
        ),
      ),
  });
}
