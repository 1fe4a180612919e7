import { commandSpec } from '#event-sourcing/testing';
import { TransferCompleted } from '../../domain/events/transfer-completed.event.js';
import { TransferDebited } from '../../domain/events/transfer-debited.event.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { TransferNotDebited } from '../../domain/transfer.errors.js';
import { CompleteTransfer } from './complete-transfer.command.js';

const transfers = commandSpec(Transfer);

describe('CompleteTransfer', () => {
  it('completes a debited transfer', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25), new TransferDebited())
      .when((id, context) => new CompleteTransfer(id, context))
      .then([new TransferCompleted()], {}));

  it('refuses a transfer whose money did not leave the source yet', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25))
      .when((id, context) => new CompleteTransfer(id, context))
      .thenThrows(TransferNotDebited));

  it('answers the process manager repeating a step as the first time', () =>
    transfers
      .given(new TransferRequested('from', 'to', 25), new TransferDebited())
      .when((id, context) => new CompleteTransfer(id, context), { idempotencyKey: 'transfer-process event-1:complete' })
      .thenRepeatAnswersTheSame());
});
