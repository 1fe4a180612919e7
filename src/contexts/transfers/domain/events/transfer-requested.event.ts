import { DomainEvent } from '#event-sourcing/domain';

/** Someone asked to move money between two accounts; nothing has moved yet. */
@DomainEvent('TransferRequested', { version: 1 })
export class TransferRequested {
  constructor(
    readonly fromAccountId: string,
    readonly toAccountId: string,
    readonly amount: number,
  ) {}
}
