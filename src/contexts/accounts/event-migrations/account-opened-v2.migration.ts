import type { EventMigration } from '#event-sourcing';
import { accountOpenedUpcasters } from '../domain/events/account-opened.upcasters.js';

/**
 * Stores AccountOpened schema version 1 (no currency) as version 2 (currency EUR), with the
 * upcaster every read applies anyway: once it has run, no stored event needs that upcaster.
 */
export const accountOpenedV2: EventMigration = {
  name: 'account-opened-v2',
  description: 'AccountOpened schema version 1 (no currency) rewritten as version 2 (currency EUR)',
  transform: (event) =>
    event.type === 'AccountOpened' && event.schemaVersion === 1
      ? { ...event, schemaVersion: 2, data: accountOpenedUpcasters[1](event.data) }
      : event,
};
