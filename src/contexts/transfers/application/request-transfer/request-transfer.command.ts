import type { Command, CommandContext } from '#event-sourcing';

export class RequestTransfer implements Command {
  constructor(
    readonly fromAccountId: string,
    readonly toAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
