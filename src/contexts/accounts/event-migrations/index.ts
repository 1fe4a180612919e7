import { accountOpenedV2 } from './account-opened-v2.migration.js';

/** The accounts context's rewrites of its stored events, for `npm run events:migrate`. */
export const accountsEventMigrations = [accountOpenedV2];
