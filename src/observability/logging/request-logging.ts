import type { DynamicModule } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { correlationIdOf } from '#event-sourcing/http';

// Probes come every few seconds and say nothing new; their failures still show as status codes in metrics.
const QUIET = /^\/(health|metrics)(\/|\?|$)/;

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
      autoLogging: { ignore: (request: IncomingMessage) => QUIET.test(request.url ?? '') },
    },
  });
}
