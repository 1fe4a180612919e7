import { Module } from '@nestjs/common';
import { EventSourcingModule } from '../../event-sourcing/event-sourcing.module.js';
import { CloseAccountHandler } from './application/close-account/close-account.handler.js';
import { DepositMoneyHandler } from './application/deposit-money/deposit-money.handler.js';
import { GetAccountEventsHandler } from './application/get-account-events/get-account-events.handler.js';
import { GetAccountHandler } from './application/get-account/get-account.handler.js';
import { OpenAccountHandler } from './application/open-account/open-account.handler.js';
import { WithdrawMoneyHandler } from './application/withdraw-money/withdraw-money.handler.js';
import { Account } from './domain/account.aggregate.js';
import { AccountsController } from './interface/accounts.controller.js';

/** The accounts bounded context: open, deposit, withdraw, close, and time travel over an account's events. */
@Module({
  imports: [EventSourcingModule.forFeature([Account])],
  controllers: [AccountsController],
  providers: [
    OpenAccountHandler,
    DepositMoneyHandler,
    WithdrawMoneyHandler,
    CloseAccountHandler,
    GetAccountHandler,
    GetAccountEventsHandler,
  ],
})
export class AccountsModule {}
