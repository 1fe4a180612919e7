import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogConfig } from '../../config/app-config.js';
import { logContext } from '#event-sourcing';

/**
 * The app's one pino logger: JSON lines on stdout (or `destination`), or pino-pretty's
 * output for people. Lines written inside the machinery's log context (a follower handling
 * an event) carry its fields, such as the event's correlation id.
 */
export function createRootLogger(config: LogConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      mixin: () => logContext(),
      ...(config.format === 'pretty'
        ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }
        : {}),
    },
    destination,
  );
}
