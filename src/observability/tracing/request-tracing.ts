import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
} from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { NO_ROUTE, routeOf } from '../metrics/request-timing.js';

const tracer = trace.getTracer('chronicle');

// Keyed by the request, so that the context can be made active again after the body is read.
const contexts = new WeakMap<Request, Context>();

/**
 * Express middleware, first of all: a server span per request, continuing the caller's
 * trace (its `traceparent` header, by the registered propagator), named for the route
 * that took it once it is answered. Without a registered SDK the span is invalid and the
 * request goes on untouched.
 */
export function traceRequests(request: Request, response: Response, next: NextFunction): void {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer.startSpan(
    request.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.path } },
    parent,
  );
  if (!isSpanContextValid(span.spanContext())) return next();
  response.once('close', () => {
    const route = routeOf(request);
    if (route !== NO_ROUTE) span.updateName(`${request.method} ${route}`).setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  const active = trace.setSpan(parent, span);
  contexts.set(request, active);
  context.with(active, next);
}

/**
 * Express middleware, after the body parser: the request's span active again. The parser
 * calls on from the socket's stream events, outside the context that was active before it.
 */
export function resumeRequestTrace(request: Request, _response: Response, next: NextFunction): void {
  const active = contexts.get(request);
  if (active === undefined) next();
  else context.with(active, next);
}
