import type { Command, CommandContext } from '#event-sourcing';

export class CompleteTransfer implements Command {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {}
}
