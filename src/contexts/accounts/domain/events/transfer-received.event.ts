import { DomainEvent } from '#event-sourcing/domain';

/** Money arrived on this account from a transfer. */
@DomainEvent('TransferReceived', { version: 1 })
export class TransferReceived {
  constructor(
    readonly transferId: string,
    readonly fromAccountId: string,
    readonly amount: number,
  ) {}
}
