import type { Command, CommandContext } from '../../../../event-sourcing/application/command-context.js';

export class CompleteTransfer implements Command {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {}
}
