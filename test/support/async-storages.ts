import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Jest loads the app's modules anew for every test file, so every file makes its own
 * AsyncLocalStorage instances (the log context, the append fence, nestjs-pino's...). Node 20
 * and 22 keep each one that was ever used in a list and visit the whole list for every
 * promise made, until it is disabled: about four more for each file a jest worker has run
 * (`npm test` took 258 s with them, 207 s without, warm, on this machine). So the class the
 * test files import is replaced by one that remembers its instances, and each new file
 * disables those of the files before it, whose code has finished by then (an afterAll hook
 * could not: the file's own afterAll hooks may run after it and use them).
 */
const asyncHooks = process.getBuiltinModule('node:async_hooks');
const tracked = Symbol.for('chronicle.test.asyncStorages');
type TrackingClass = typeof AsyncLocalStorage & { [tracked]?: Set<AsyncLocalStorage<unknown>> };

/** The instances made since the last call; the class is replaced once per worker (this module runs once per file). */
function madeInThisWorker(): Set<AsyncLocalStorage<unknown>> {
  const current = asyncHooks.AsyncLocalStorage as TrackingClass;
  const known = current[tracked];
  if (known) return known;
  const made = new Set<AsyncLocalStorage<unknown>>();
  class TrackedStorage<T> extends current<T> {
    constructor() {
      super();
      made.add(this as AsyncLocalStorage<unknown>);
    }
  }
  (TrackedStorage as TrackingClass)[tracked] = made;
  // Node 22 exports the class through a getter: redefined, not assigned.
  Object.defineProperty(asyncHooks, 'AsyncLocalStorage', { value: TrackedStorage, writable: true, configurable: true });
  return made;
}

/** Disables every AsyncLocalStorage made in this worker so far. */
export function disableEarlierStorages(): void {
  const made = madeInThisWorker();
  for (const storage of made) storage.disable();
  made.clear();
}

disableEarlierStorages();
