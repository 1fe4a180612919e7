import { Command, type CommandContext } from '#event-sourcing';
import type { TransferStatus } from '../../domain/transfer.aggregate.js';

/** Starts a transfer under a new id (its handler takes one from the id generator); answers with its status. */
export class RequestTransfer extends Command<{ status: TransferStatus }> {
  constructor(
    readonly fromAccountId: string,
    readonly toAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}
