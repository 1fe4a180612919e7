import { DomainEvent } from '#event-sourcing/domain';

@DomainEvent('MoneyWithdrawn', { version: 1 })
export class MoneyWithdrawn {
  constructor(readonly amount: number) {}
}
