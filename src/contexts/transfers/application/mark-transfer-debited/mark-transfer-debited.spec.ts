import { commandSpec } from '#event-sourcing/testing';
import { TransferDebited } from '../../domain/events/transfer-debited.event.js';
import { TransferFailed } from '../../domain/events/transfer-failed.event.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { MarkTransferDebited } from './mark-transfer-debited.command.js';

const transfers = commandSpec(Transfer);

describe('MarkTransferDebited', () => {
  it('records that the source paid the transfer out', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25))
      .when((id, context) => new MarkTransferDebited(id, context))
      .then([new TransferDebited()], {}));

  it('changes nothing once the transfer moved on', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25), new TransferFailed('insufficient_funds'))
      .when((id, context) => new MarkTransferDebited(id, context))
      .then([], {}));
});
