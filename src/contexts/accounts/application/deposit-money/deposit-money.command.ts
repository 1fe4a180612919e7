import type { Command, CommandContext } from '#event-sourcing';

export class DepositMoney implements Command {
  constructor(
    readonly accountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {}
}
