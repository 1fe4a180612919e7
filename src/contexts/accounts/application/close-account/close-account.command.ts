import type { Command, CommandContext } from '#event-sourcing';

export class CloseAccount implements Command {
  constructor(
    readonly accountId: string,
    readonly context: CommandContext,
  ) {}
}
