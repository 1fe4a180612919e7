import type { Command, CommandContext } from '../../../../event-sourcing/application/command-context.js';

export class CloseAccount implements Command {
  constructor(
    readonly accountId: string,
    readonly context: CommandContext,
  ) {}
}
