import { commandSpec } from '#event-sourcing/testing';
import { TransferCompleted } from '../../domain/events/transfer-completed.event.js';
import { TransferDebited } from '../../domain/events/transfer-debited.event.js';
import { TransferFailed } from '../../domain/events/transfer-failed.event.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { FailTransfer } from './fail-transfer.command.js';

const transfers = commandSpec(Transfer);

describe('FailTransfer', () => {
  it('fails a transfer with the reason', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25))
      .when((id, context) => new FailTransfer(id, 'insufficient_funds', context))
      .then([new TransferFailed('insufficient_funds')], {}));

  it('changes nothing once the transfer ended', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25), new TransferDebited(), new TransferCompleted())
      .when((id, context) => new FailTransfer(id, 'account_closed', context))
      .then([], {}));
});
