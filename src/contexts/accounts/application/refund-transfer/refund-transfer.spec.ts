import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { RefundTransfer } from './refund-transfer.command.js';

const accounts = commandSpec(Account);
const sent = [new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100), new TransferSent('transfer-1', 'to', 60)];

describe('RefundTransfer', () => {
  it('gives back what the transfer paid out, on a closed account too', () =>
    accounts
      .given(...sent, new AccountClosed())
      .when((id, context) => new RefundTransfer(id, 'transfer-1', 'account_closed', context))
      .then([new TransferRefunded('transfer-1', 60, 'account_closed')], { balance: 100 }));

  it('refunds a transfer once, and never one the account did not pay out', async () => {
    await accounts
      .given(...sent, new TransferRefunded('transfer-1', 60, 'account_closed'))
      .when((id, context) => new RefundTransfer(id, 'transfer-1', 'account_closed', context))
      .then([], { balance: 100 });
    await accounts
      .given(...sent)
      .when((id, context) => new RefundTransfer(id, 'transfer-2', 'account_closed', context))
      .then([], { balance: 40 });
  });
});
