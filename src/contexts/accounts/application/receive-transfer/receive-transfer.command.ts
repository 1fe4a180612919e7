import type { Command, CommandContext } from '#event-sourcing';

/** Credits a transfer to the destination account (once per transfer id). */
export class ReceiveTransfer implements Command {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly fromAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
