import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';

/** Records that the source account paid the transfer out. */
export class MarkTransferDebited extends AggregateCommand<Transfer> {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {
    super(Transfer, transferId);
  }

  decide(transfer: Transfer): Record<string, never> {
    transfer.markDebited();
    return {};
  }
}
