import { DomainEvent } from '#event-sourcing/domain';

/** A transfer sent from this account could not be credited; its money came back. */
@DomainEvent('TransferRefunded', { version: 1 })
export class TransferRefunded {
  constructor(
    readonly transferId: string,
    readonly amount: number,
    readonly reason: string,
  ) {}
}
