import type { Command, CommandContext } from '#event-sourcing';

/** Gives back to the source account what a transfer paid out of it (once per transfer id). */
export class RefundTransfer implements Command {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly reason: string,
    readonly context: CommandContext,
  ) {}
}
