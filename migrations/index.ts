import { EventStore1795680000000 } from './1795680000000-event-store.js';

/** Every migration, oldest first. Listed by import rather than a glob so the compiled app, ts tests and the CLI load the same set. */
export const migrations = [EventStore1795680000000];
