import { DomainEvent } from '#event-sourcing/domain';

/** The transfer ended without moving money (anything paid out was refunded first). */
@DomainEvent('TransferFailed', { version: 1 })
export class TransferFailed {
  constructor(readonly reason: string) {}
}
