import type { EventMigration } from './event-migration.js';

/**
 * Writes every event's data again through the `EventCodec`, unchanged: data stored before
 * encryption was turned on gets encrypted, and data under older keys moves to the newest.
 */
export const reencode: EventMigration = {
  name: 'reencode',
  description: "every event's data written again through the configured EventCodec (encryption, key rotation)",
  transform: (event) => ({ ...event }),
};
