import type { CommandContext } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { ProcessManagerSpec, replayed, stream, type SpecAppend } from '#event-sourcing/testing';
import {
  ACCOUNT_STREAM_TYPE,
  AccountClosedError,
  InsufficientFunds,
  ReceiveTransfer,
  RecordTransferDelivered,
  RefundTransfer,
  SendTransfer,
  TransferReceived,
  TransferRefunded,
  TransferSent,
} from '../../../accounts/accounts.contract.js';
import { TransferDebited } from '../../domain/events/transfer-debited.event.js';
import { TransferFailed } from '../../domain/events/transfer-failed.event.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { CompleteTransfer } from '../complete-transfer/complete-transfer.command.js';
import { FailTransfer } from '../fail-transfer/fail-transfer.command.js';
import { GetTransfer } from '../get-transfer/get-transfer.query.js';
import { MarkTransferDebited } from '../mark-transfer-debited/mark-transfer-debited.command.js';
import { TransferProcessManager } from './transfer.process-manager.js';

const T = 'transfer-1';
const FROM = 'account-a';
const TO = 'account-b';
const requested = new TransferRequested(FROM, TO, 40);

/** One event of the log, with the id and the request (correlation, actor) its envelope names. */
const logged = (streamId: string, event: object, id: string): SpecAppend => ({
  ...stream(streamId, event),
  ids: [id],
  metadata: { correlationId: 'request-1', actorId: 'ada' },
});
/** What each command the process sends for `eventId` carries: its id and key come from the event. */
const causedBy = (eventId: string, step: string): CommandContext => ({
  commandId: `${eventId}:${step}`,
  idempotencyKey: `transfer-process ${eventId}:${step}`,
  correlationId: 'request-1',
  actorId: 'ada',
});
/** GetTransfer answers the transfer after these events of its stream. */
const transferAfter =
  (...history: object[]) =>
  ({ transferId }: GetTransfer) =>
    replayed(Transfer, transferId, ...history);

const spec = new ProcessManagerSpec(({ commands, queries }) => new TransferProcessManager(commands, queries));

describe('the transfer process', () => {
  it('has the source account pay a requested transfer out', () =>
    spec
      .given(logged(T, requested, 'e-1'))
      .answer(GetTransfer, transferAfter(requested))
      .then(new SendTransfer(FROM, T, TO, 40, causedBy('e-1', 'send-transfer'))));

  it('fails the transfer with the reason the source account refuses it', async () => {
    for (const [refusal, reason] of [
      [new InsufficientFunds(FROM, 10, 40), 'insufficient_funds'],
      [new AccountClosedError(FROM), 'account_closed'],
      [new AggregateNotFoundError(ACCOUNT_STREAM_TYPE, FROM), 'account_not_found'],
    ] as const) {
      await spec
        .given(logged(T, requested, 'e-1'))
        .answer(GetTransfer, transferAfter(requested))
        .refuse(SendTransfer, refusal)
        .then(
          new SendTransfer(FROM, T, TO, 40, causedBy('e-1', 'send-transfer')),
          new FailTransfer(T, reason, causedBy('e-1', 'fail-transfer')),
        );
    }
  });

  it('stops at the event on any other error, to try it again later', async () => {
    const outage = new Error('the database is down');
    await expect(
      spec
        .given(logged(T, requested, 'e-1'))
        .answer(GetTransfer, transferAfter(requested))
        .refuse(SendTransfer, outage)
        .thenThrows(Error),
    ).resolves.toBe(outage);
    // A transfer that is missing, rather than an account, is no refusal of the source either.
    await spec
      .given(logged(T, requested, 'e-1'))
      .answer(GetTransfer, transferAfter(requested))
      .refuse(SendTransfer, new AggregateNotFoundError(Transfer.streamType, T))
      .thenThrows(AggregateNotFoundError);
  });

  it('sends nothing for a request seen again once the transfer moved on', () =>
    spec
      .given(logged(T, requested, 'e-1'))
      .answer(GetTransfer, transferAfter(requested, new TransferFailed('insufficient_funds')))
      .then());

  it('marks the transfer debited once the source paid it out', () =>
    spec
      .given(logged(FROM, new TransferSent(T, TO, 40), 'e-2'))
      .then(new MarkTransferDebited(T, causedBy('e-2', 'mark-transfer-debited'))));

  it('has the destination take a debited transfer in, or the source take it back when the destination refuses', async () => {
    const debited = new TransferDebited();
    await spec
      .given(logged(T, debited, 'e-3'))
      .answer(GetTransfer, transferAfter(requested, debited))
      .then(new ReceiveTransfer(TO, T, FROM, 40, causedBy('e-3', 'receive-transfer')));
    await spec
      .given(logged(T, debited, 'e-3'))
      .answer(GetTransfer, transferAfter(requested, debited))
      .refuse(ReceiveTransfer, new AccountClosedError(TO))
      .then(
        new ReceiveTransfer(TO, T, FROM, 40, causedBy('e-3', 'receive-transfer')),
        new RefundTransfer(FROM, T, 'account_closed', causedBy('e-3', 'refund-transfer')),
      );
  });

  it('credits nothing for a debit seen again once the transfer was refunded', () =>
    spec
      .given(logged(T, new TransferDebited(), 'e-3'))
      .answer(GetTransfer, transferAfter(requested, new TransferDebited(), new TransferFailed('account_closed')))
      .then());

  it('fails a refunded transfer with the refund’s reason, and completes a received one once the source knows', async () => {
    await spec
      .given(logged(FROM, new TransferRefunded(T, 40, 'account_closed'), 'e-4'))
      .then(new FailTransfer(T, 'account_closed', causedBy('e-4', 'fail-transfer')));
    await spec
      .given(logged(TO, new TransferReceived(T, FROM, 40), 'e-5'))
      .then(
        new RecordTransferDelivered(FROM, T, causedBy('e-5', 'record-transfer-delivered')),
        new CompleteTransfer(T, causedBy('e-5', 'complete-transfer')),
      );
  });

  it('takes no step on an event it has none for, such as a transfer’s end', () =>
    spec.given(logged(T, new TransferFailed('account_closed'), 'e-6')).then());
});
