import type { Command, CommandContext } from '../../../../event-sourcing/application/command-context.js';

export class MarkTransferDebited implements Command {
  constructor(
    readonly transferId: string,
    readonly context: CommandContext,
  ) {}
}
