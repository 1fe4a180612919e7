import { DomainEvent } from '#event-sourcing/domain';

/** The destination account took the amount in: the transfer is done. */
@DomainEvent('TransferCompleted', { version: 1 })
export class TransferCompleted {}
