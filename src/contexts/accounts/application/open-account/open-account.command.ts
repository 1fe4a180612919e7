import { Command, type CommandContext } from '#event-sourcing';

/** Opens an account under a new id (its handler takes one from the id generator). */
export class OpenAccount extends Command {
  constructor(
    readonly owner: string,
    readonly currency: string,
    readonly overdraftLimit: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}
