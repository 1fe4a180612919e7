import { accountsEventMigrations } from './contexts/accounts/event-migrations/index.js';
import { type EventMigration, reencode } from '#event-sourcing';

/** Every migration `npm run events:migrate -- <name>` knows: each context adds its own list. */
export const eventMigrations: readonly EventMigration[] = [reencode, ...accountsEventMigrations];
