import type { Command, CommandContext } from '../../../../event-sourcing/application/command-context.js';

export class DepositMoney implements Command {
  constructor(
    readonly accountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
