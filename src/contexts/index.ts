import type { Type } from '@nestjs/common';
// example:start
import { AccountsModule } from './accounts/accounts.module.js';
import { TransfersModule } from './transfers/transfers.module.js';
// example:end

/** Every bounded context the app runs: `npm run generate -- context <name>` adds to this list. */
export const contextModules: Type[] = [
  // example:start
  AccountsModule,
  TransfersModule,
  // example:end
];
