import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { type CommandContext, type StoredEvent, Follower, Handles, type FollowerContext } from '#event-sourcing';
import { AggregateNotFoundError, DomainRuleViolation } from '#event-sourcing/domain';
import {
  ACCOUNT_STREAM_TYPE,
  ReceiveTransfer,
  RecordTransferDelivered,
  RefundTransfer,
  SendTransfer,
  TransferReceived,
  TransferRefunded,
  TransferSent,
} from '../../../accounts/accounts.contract.js';
import { TransferDebited } from '../../domain/events/transfer-debited.event.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import type { Transfer, TransferFailureReason } from '../../domain/transfer.aggregate.js';
import { CompleteTransfer } from '../complete-transfer/complete-transfer.command.js';
import { FailTransfer } from '../fail-transfer/fail-transfer.command.js';
import { GetTransfer } from '../get-transfer/get-transfer.query.js';
import { MarkTransferDebited } from '../mark-transfer-debited/mark-transfer-debited.command.js';

export const TRANSFER_PROCESS = 'transfer-process';

/**
 * Moves every transfer along: debit the source, credit the destination, refund the source
 * when the destination refuses, or tell the source its transfer was delivered. It follows the log without a transaction, so after a crash
 * it may see an event again: each command it sends takes its id and idempotency key from
 * the event that caused it, and the accounts ignore a transfer step they already took.
 * It handles up to 15 events at once (each stream's in order): every step waits on a
 * command, and one transfer at a time could not keep up with the transfers requested.
 * Each of a transfer's steps is caused by the one before, so they never race.
 */
@Follower(TRANSFER_PROCESS, { transactional: false, concurrency: 15 })
export class TransferProcessManager {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Handles(TransferRequested)
  async requested(event: TransferRequested, { envelope }: FollowerContext): Promise<void> {
    const transferId = envelope.streamId;
    // Seen again after it failed: paying out now, with money that arrived since, would strand it.
    if ((await this.transfer(transferId)).status !== 'requested') return;
    try {
      await this.commands.execute(
        new SendTransfer(
          event.fromAccountId,
          transferId,
          event.toAccountId,
          event.amount,
          causedBy(envelope, 'send-transfer'),
        ),
      );
    } catch (error) {
      await this.commands.execute(new FailTransfer(transferId, refusalOf(error), causedBy(envelope, 'fail-transfer')));
    }
  }

  @Handles(TransferSent)
  async sent(event: TransferSent, { envelope }: FollowerContext): Promise<void> {
    await this.commands.execute(new MarkTransferDebited(event.transferId, causedBy(envelope, 'mark-transfer-debited')));
  }

  @Handles(TransferDebited)
  async debited(_: TransferDebited, { envelope }: FollowerContext): Promise<void> {
    const transfer = await this.transfer(envelope.streamId);
    // Seen again after the refund: crediting now would pay the amount twice.
    if (transfer.status !== 'debited') return;
    try {
      await this.commands.execute(
        new ReceiveTransfer(
          transfer.toAccountId,
          transfer.id,
          transfer.fromAccountId,
          transfer.amount,
          causedBy(envelope, 'receive-transfer'),
        ),
      );
    } catch (error) {
      await this.commands.execute(
        new RefundTransfer(
          transfer.fromAccountId,
          transfer.id,
          refusalOf(error),
          causedBy(envelope, 'refund-transfer'),
        ),
      );
    }
  }

  @Handles(TransferRefunded)
  async refunded(event: TransferRefunded, { envelope }: FollowerContext): Promise<void> {
    await this.commands.execute(new FailTransfer(event.transferId, event.reason, causedBy(envelope, 'fail-transfer')));
  }

  @Handles(TransferReceived)
  async received(event: TransferReceived, { envelope }: FollowerContext): Promise<void> {
    // The source first: once a client sees the transfer completed, the source may be closed.
    await this.commands.execute(
      new RecordTransferDelivered(
        event.fromAccountId,
        event.transferId,
        causedBy(envelope, 'record-transfer-delivered'),
      ),
    );
    await this.commands.execute(new CompleteTransfer(event.transferId, causedBy(envelope, 'complete-transfer')));
  }

  private transfer(id: string): Promise<Transfer> {
    return this.queries.execute<GetTransfer, Transfer>(new GetTransfer(id));
  }
}

/**
 * The same command, with the same id and key, every time this event is handled. The key
 * holds a space, which HTTP clients' keys cannot (visible ASCII only), so no client can
 * take it first. The steps act for whoever requested the transfer, so they keep its actor.
 */
function causedBy(envelope: StoredEvent, step: string): CommandContext {
  const id = `${envelope.id}:${step}`;
  const { correlationId, actorId } = envelope.metadata;
  return { commandId: id, idempotencyKey: `transfer-process ${id}`, correlationId, actorId };
}

/** The reason an account refused a step; anything else (a bug, the database down) is rethrown. */
function refusalOf(error: unknown): TransferFailureReason {
  if (error instanceof AggregateNotFoundError && error.streamType === ACCOUNT_STREAM_TYPE) return 'account_not_found';
  if (error instanceof DomainRuleViolation) return error.code;
  throw error;
}
