import { DomainEvent } from '#event-sourcing/domain';

@DomainEvent('MoneyDeposited', { version: 1 })
export class MoneyDeposited {
  constructor(readonly amount: number) {}
}
