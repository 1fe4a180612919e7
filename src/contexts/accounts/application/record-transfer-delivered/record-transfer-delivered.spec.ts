import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { TransferDelivered } from '../../domain/events/transfer-delivered.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { CloseAccount } from '../close-account/close-account.command.js';
import { RecordTransferDelivered } from './record-transfer-delivered.command.js';

const accounts = commandSpec(Account);
const emptied = [new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(60), new TransferSent('transfer-1', 'to', 60)];

describe('RecordTransferDelivered', () => {
  it('records that a transfer sent arrived, after which the account may close', async () => {
    await accounts
      .given(...emptied)
      .when((id, context) => new RecordTransferDelivered(id, 'transfer-1', context))
      .then([new TransferDelivered('transfer-1')], {});
    await accounts
      .given(...emptied, new TransferDelivered('transfer-1'))
      .when((id, context) => new CloseAccount(id, context))
      .then([new AccountClosed()], {});
  });

  it('records it once, and nothing for a transfer the account did not send', async () => {
    await accounts
      .given(...emptied, new TransferDelivered('transfer-1'))
      .when((id, context) => new RecordTransferDelivered(id, 'transfer-1', context))
      .then([], {});
    await accounts
      .given(...emptied)
      .when((id, context) => new RecordTransferDelivered(id, 'transfer-2', context))
      .then([], {});
  });
});
