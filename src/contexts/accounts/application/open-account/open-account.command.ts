import type { Command, CommandContext } from '#event-sourcing';

export class OpenAccount implements Command {
  constructor(
    readonly owner: string,
    readonly currency: string,
    readonly overdraftLimit: number,
    readonly context: CommandContext,
  ) {}
}
