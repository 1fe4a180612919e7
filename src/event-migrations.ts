import { accountsEventMigrations } from './contexts/accounts/event-migrations/index.js';
import type { EventMigration } from './event-sourcing/migration/event-migration.js';
import { reencode } from './event-sourcing/migration/reencode.migration.js';

/** Every migration `npm run events:migrate -- <name>` knows: each context adds its own list. */
export const eventMigrations: readonly EventMigration[] = [reencode, ...accountsEventMigrations];
