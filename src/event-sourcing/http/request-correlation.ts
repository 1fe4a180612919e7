import type { IncomingMessage, ServerResponse } from 'node:http';
import { uuidv7 } from '../application/uuid-v7.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';
// Visible ASCII only: ids and keys travel in headers, logs and event metadata.
export const HEADER_TOKEN = /^[\x21-\x7e]{1,200}$/;

// Keyed by the request object, so that every reader of one request gets the same id.
const assigned = new WeakMap<IncomingMessage, string>();

/** A header's value as one string (repeated headers joined), or undefined. */
export function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The request's correlation id: its `X-Correlation-Id` if well-formed, else a UUIDv7 made
 * once for it. Log lines, the events its command appends and the response header carry it.
 */
export function correlationIdOf(request: IncomingMessage): string {
  let id = assigned.get(request);
  if (id === undefined) {
    const sent = headerOf(request, CORRELATION_HEADER);
    id = sent !== undefined && HEADER_TOKEN.test(sent) ? sent : uuidv7();
    assigned.set(request, id);
  }
  return id;
}

/** Express middleware: answers every request with its correlation id, so a client can quote it. */
export function echoCorrelationId(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  response.setHeader(CORRELATION_HEADER, correlationIdOf(request));
  next();
}
