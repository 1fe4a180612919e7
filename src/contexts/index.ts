import { AccountsModule } from './accounts/accounts.module.js';
import { ReportingModule } from './reporting/reporting.module.js';
import { TransfersModule } from './transfers/transfers.module.js';

/** Every bounded context the app runs: `npm run generate -- context <name>` adds to this list. */
export const contextModules = [AccountsModule, TransfersModule, ReportingModule];
