import { IdGenerator } from '#event-sourcing';
import { commandSpec } from '#event-sourcing/testing';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { SameAccountTransfer } from '../../domain/transfer.errors.js';
import { RequestTransfer } from './request-transfer.command.js';
import { RequestTransferHandler } from './request-transfer.handler.js';

const transfers = commandSpec(Transfer, (repository) => new RequestTransferHandler(repository, new IdGenerator()));

describe('RequestTransfer', () => {
  it('starts a transfer under a new id, requested', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'to', 25, context))
      .then([new TransferRequested('from', 'to', 25)], { status: 'requested' }));

  it('refuses a transfer from an account to itself', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'from', 25, context))
      .thenThrows(SameAccountTransfer));

  it('answers a repeat with the same Idempotency-Key with the same transfer instead of starting another', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'to', 25, context), { idempotencyKey: 'transfer-1' })
      .thenRepeatAnswersTheSame());
});
