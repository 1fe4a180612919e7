import type { Command, CommandContext } from '#event-sourcing';

export class MarkTransferDebited implements Command {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {}
}
