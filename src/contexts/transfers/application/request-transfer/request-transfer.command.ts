import type { Command, CommandContext } from '../../../../event-sourcing/application/command-context.js';

export class RequestTransfer implements Command {
  constructor(
    readonly fromAccountId: string,
    readonly toAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
