import { DomainEvent } from '#event-sourcing/domain';

/** Money left this account for a transfer. */
@DomainEvent('TransferSent', { version: 1 })
export class TransferSent {
  constructor(
    readonly transferId: string,
    readonly toAccountId: string,
    readonly amount: number,
  ) {}
}
