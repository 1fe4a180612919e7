import { Command, type CommandContext } from '#event-sourcing';

/** Forget the account owner's personal data (crypto-shredding); balances and history stay. */
export class ErasePersonalData extends Command {
  constructor(
    readonly accountId: string,
    readonly context: CommandContext,
  ) {
    super();
  }
}
