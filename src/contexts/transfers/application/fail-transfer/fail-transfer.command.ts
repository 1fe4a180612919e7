import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Transfer, type TransferFailureReason } from '../../domain/transfer.aggregate.js';

/** Marks a transfer failed, with the reason a step was refused. */
export class FailTransfer extends AggregateCommand<Transfer> {
  constructor(
    readonly transferId: string,
    readonly reason: TransferFailureReason,
    readonly context: CommandContext,
  ) {
    super(Transfer, transferId);
  }

  decide(transfer: Transfer): Record<string, never> {
    transfer.fail(this.reason);
    return {};
  }
}
