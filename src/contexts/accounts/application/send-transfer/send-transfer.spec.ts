import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { InsufficientFunds } from '../../domain/account.errors.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { SendTransfer } from './send-transfer.command.js';

const accounts = commandSpec(Account);
const TO = 'to-account';

describe('SendTransfer', () => {
  it('pays the transfer out and answers the balance', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when((id, context) => new SendTransfer(id, 'transfer-1', TO, 60, context))
      .then([new TransferSent('transfer-1', TO, 60)], { balance: 40 }));

  it('pays a transfer out once, however often it is asked', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100), new TransferSent('transfer-1', TO, 60))
      .when((id, context) => new SendTransfer(id, 'transfer-1', TO, 60, context))
      .then([], { balance: 40 }));

  it('refuses more than the account can pay', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when((id, context) => new SendTransfer(id, 'transfer-1', TO, 101, context))
      .thenThrows(InsufficientFunds));
});
