import { inspect } from 'node:util';

/** A value as a spec's failure message shows it: on one line, an error by its class and message. */
export function show(value: unknown): string {
  return value instanceof Error
    ? `${value.constructor.name}: ${value.message}`
    : inspect(value, { depth: 4, breakLength: Infinity });
}
