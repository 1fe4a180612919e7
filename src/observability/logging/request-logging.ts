import type { DynamicModule } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { correlationIdOf } from '#event-sourcing/http';

// Probes come every few seconds and say nothing new; their failures still show as status codes in metrics.
const QUIET = /^\/(health|metrics)(\/|\?|$)/;

/**
 * The URL with every query value replaced: values are what a client searches for, such as
 * an owner's name (`?owner=`, the explorer's `?q=`), and personal data stays out of the logs.
 */
export function withoutQueryValues(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const names = [...new URLSearchParams(url.slice(start + 1)).keys()];
  return `${url.slice(0, start)}?${names.map((name) => `${encodeURIComponent(name)}=[Redacted]`).join('&')}`;
}

/**
 * The request headers a request line keeps. Named, not the ones it leaves out: a credential
 * can come in any header (Authorization, Proxy-Authorization, Cookie, a gateway's X-Api-Key),
 * and Referer holds a page's URL with its query. Add a header here only if it cannot carry
 * a secret or personal data.
 */
const REQUEST_HEADERS = [
  'host',
  'user-agent',
  'accept',
  'content-type',
  'content-length',
  'origin',
  'if-match',
  'if-none-match',
  'idempotency-key',
  'last-event-id',
  'traceparent',
  'x-forwarded-for',
];
/** The response headers that say something of the answer; not the security headers every answer has. */
const RESPONSE_HEADERS = ['content-type', 'content-length', 'etag', 'location', 'retry-after'];

type Headers = Record<string, number | string | string[] | undefined>;

function picked(headers: Headers, names: readonly string[]): Headers {
  const kept: Headers = {};
  for (const name of names) if (headers[name] !== undefined) kept[name] = headers[name];
  return kept;
}

/**
 * What a request line tells about its request: no body, no query values, no parsed query
 * or params, and only the headers above, so that no credential or personal field reaches
 * log storage.
 */
function requestFields(request: {
  id: unknown;
  method: string;
  url: string;
  headers: Headers;
  remoteAddress?: string;
  remotePort?: number;
}): Record<string, unknown> {
  const { id, method, url, headers, remoteAddress, remotePort } = request;
  return {
    id,
    method,
    url: withoutQueryValues(url),
    headers: picked(headers, REQUEST_HEADERS),
    remoteAddress,
    remotePort,
  };
}

function responseFields(response: { statusCode: number; headers: Headers }): Record<string, unknown> {
  return { statusCode: response.statusCode, headers: picked(response.headers, RESPONSE_HEADERS) };
}

/**
 * nestjs-pino on `root`: one line per request, and Nest's logs inside a request carry
 * that request's correlation id (the one its events and its `X-Correlation-Id` answer get).
 */
export function requestLogging(root: Logger): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger: root,
      genReqId: (request: IncomingMessage) => correlationIdOf(request),
      // Every line of the request gets the id as `correlationId`, the request line its headers too.
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'correlationId' },
      serializers: { req: requestFields, res: responseFields },
      autoLogging: { ignore: (request: IncomingMessage) => QUIET.test(request.url ?? '') },
    },
  });
}
