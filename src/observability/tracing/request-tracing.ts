import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { NO_ROUTE, routeOf } from '../metrics/request-timing.js';

const tracer = trace.getTracer('chronicle');

/**
 * Express middleware, first of all: a server span per request, continuing the caller's
 * trace (its `traceparent` header, by the registered propagator), named for the route
 * that took it once it is answered. Without a registered SDK the span is invalid and the
 * request goes on untouched.
 */
export function traceRequests(request: Request, response: Response, next: NextFunction): void {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent);
  if (!isSpanContextValid(span.spanContext())) return next();
  span.setAttributes({ 'http.request.method': request.method, 'url.path': request.path });
  response.once('close', () => {
    const route = routeOf(request);
    if (route !== NO_ROUTE) span.updateName(`${request.method} ${route}`).setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  // Active for the rest of the request: the body parser calls on in the same context (raw-body binds it).
  context.with(trace.setSpan(parent, span), next);
}
