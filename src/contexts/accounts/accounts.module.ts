import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventSourcingModule } from '#event-sourcing';
import { ErasePersonalDataHandler } from './application/erase-personal-data/erase-personal-data.handler.js';
import { GetAccountEventsHandler } from './application/get-account-events/get-account-events.handler.js';
import { GetAccountHandler } from './application/get-account/get-account.handler.js';
import { OpenAccountHandler } from './application/open-account/open-account.handler.js';
import { Account } from './domain/account.aggregate.js';
import { AccountStatementsProjection } from './infrastructure/account-statements/account-statements.projection.js';
import { GetStatementHandler } from './infrastructure/account-statements/get-statement.handler.js';
import { StatementLine } from './infrastructure/account-statements/statement-line.entity.js';
import { AccountSummariesProjection } from './infrastructure/account-summaries/account-summaries.projection.js';
import { AccountSummary } from './infrastructure/account-summaries/account-summary.entity.js';
import { ListAccountsHandler } from './infrastructure/account-summaries/list-accounts.handler.js';
import { AccountsLiveController } from './interface/accounts-live.controller.js';
import { AccountsController } from './interface/accounts.controller.js';

/** The accounts bounded context: open, deposit, withdraw, close, and time travel over an account's events. */
@Module({
  imports: [EventSourcingModule.forFeature([Account]), TypeOrmModule.forFeature([AccountSummary, StatementLine])],
  // The live routes first: `/accounts/stream` before `/accounts/:id`.
  controllers: [AccountsLiveController, AccountsController],
  providers: [
    OpenAccountHandler,
    ErasePersonalDataHandler,
    GetAccountHandler,
    GetAccountEventsHandler,
    AccountSummariesProjection,
    ListAccountsHandler,
    AccountStatementsProjection,
    GetStatementHandler,
  ],
})
export class AccountsModule {}
