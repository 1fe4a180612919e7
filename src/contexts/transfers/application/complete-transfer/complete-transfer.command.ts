import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';

/** Marks a transfer completed once the destination took the money in. */
export class CompleteTransfer extends AggregateCommand<Transfer> {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {
    super(Transfer, transferId);
  }

  decide(transfer: Transfer): Record<string, never> {
    transfer.complete();
    return {};
  }
}
