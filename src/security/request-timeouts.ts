import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

/** Node looks for late requests only this often: 30 s unless told, which would add up to 30 s to each bound. */
const MAX_CHECK_EVERY_MS = 1_000;

/**
 * Bounds how long a client may take to send a request: its headers within `headersMs`,
 * the whole of it (body included) within `requestMs`; past either, Node answers 408 and
 * closes the connection, so that slow senders cannot hold connections for minutes (Node's
 * defaults: 60 s and 300 s). Neither bounds the response: a long answer or an open
 * event stream is not cut. Call before the server listens.
 */
export function limitRequestTime(server: Server, { headersMs, requestMs }: AppConfig['requestTimeouts']): void {
  server.headersTimeout = headersMs;
  server.requestTimeout = requestMs;
  // A createServer option that @types/node leaves off the Server; Node reads it when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    MAX_CHECK_EVERY_MS,
    Math.ceil(headersMs / 4),
  );
}
