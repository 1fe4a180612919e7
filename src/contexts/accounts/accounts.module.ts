import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventSourcingModule } from '#event-sourcing';
import { CloseAccountHandler } from './application/close-account/close-account.handler.js';
import { DepositMoneyHandler } from './application/deposit-money/deposit-money.handler.js';
import { ErasePersonalDataHandler } from './application/erase-personal-data/erase-personal-data.handler.js';
import { GetAccountEventsHandler } from './application/get-account-events/get-account-events.handler.js';
import { GetAccountHandler } from './application/get-account/get-account.handler.js';
import { OpenAccountHandler } from './application/open-account/open-account.handler.js';
import { ReceiveTransferHandler } from './application/receive-transfer/receive-transfer.handler.js';
import { RefundTransferHandler } from './application/refund-transfer/refund-transfer.handler.js';
import { SendTransferHandler } from './application/send-transfer/send-transfer.handler.js';
import { WithdrawMoneyHandler } from './application/withdraw-money/withdraw-money.handler.js';
import { Account } from './domain/account.aggregate.js';
import { AccountStatementsProjection } from './infrastructure/account-statements/account-statements.projection.js';
import { GetStatementHandler } from './infrastructure/account-statements/get-statement.handler.js';
import { StatementLine } from './infrastructure/account-statements/statement-line.entity.js';
import { AccountSummariesProjection } from './infrastructure/account-summaries/account-summaries.projection.js';
import { AccountSummary } from './infrastructure/account-summaries/account-summary.entity.js';
import { ListAccountsHandler } from './infrastructure/account-summaries/list-accounts.handler.js';
import { AccountsController } from './interface/accounts.controller.js';

/** The accounts bounded context: open, deposit, withdraw, close, and time travel over an account's events. */
@Module({
  imports: [EventSourcingModule.forFeature([Account]), TypeOrmModule.forFeature([AccountSummary, StatementLine])],
  controllers: [AccountsController],
  providers: [
    OpenAccountHandler,
    DepositMoneyHandler,
    WithdrawMoneyHandler,
    CloseAccountHandler,
    ErasePersonalDataHandler,
    SendTransferHandler,
    ReceiveTransferHandler,
    RefundTransferHandler,
    GetAccountHandler,
    GetAccountEventsHandler,
    AccountSummariesProjection,
    ListAccountsHandler,
    AccountStatementsProjection,
    GetStatementHandler,
  ],
})
export class AccountsModule {}
