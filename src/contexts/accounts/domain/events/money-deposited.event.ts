import { DomainEvent } from '../../../../event-sourcing/domain/domain-event.decorator.js';

@DomainEvent('MoneyDeposited', { version: 1 })
export class MoneyDeposited {
  constructor(readonly amount: number) {}
}
