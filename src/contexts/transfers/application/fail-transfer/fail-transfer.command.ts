import type { Command, CommandContext } from '#event-sourcing';
import type { TransferFailureReason } from '../../domain/transfer.aggregate.js';

export class FailTransfer implements Command {
  constructor(
    readonly transferId: string,
    readonly reason: TransferFailureReason,
    readonly context: CommandContext,
  ) {}
}
