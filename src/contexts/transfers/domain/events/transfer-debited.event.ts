import { DomainEvent } from '#event-sourcing/domain';

/** The source account paid the amount out. */
@DomainEvent('TransferDebited', { version: 1 })
export class TransferDebited {}
