import { DomainEvent } from '#event-sourcing/domain';

/** A transfer sent from this account reached its destination: its amount will not come back. */
@DomainEvent('TransferDelivered', { version: 1 })
export class TransferDelivered {
  constructor(readonly transferId: string) {}
}
