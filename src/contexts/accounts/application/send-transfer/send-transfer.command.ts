import type { Command, CommandContext } from '#event-sourcing';

/** Pays a transfer out of the source account (once per transfer id). */
export class SendTransfer implements Command {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly toAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
