import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written inside {@link withLogContext} carries, such as the event's correlation id. */
export type LogFields = Record<string, string | number>;

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs `work` with `fields` added to the current log context, for everything it awaits too.
 * The machinery only records the fields; the app's logger adds them to its lines.
 */
export function withLogContext<T>(fields: LogFields, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, work);
}

/** The fields of the innermost {@link withLogContext} around the caller; empty outside any. */
export function logContext(): LogFields {
  return storage.getStore() ?? {};
}
