import { DomainEvent } from '../../../../event-sourcing/domain/domain-event.decorator.js';

@DomainEvent('MoneyWithdrawn', { version: 1 })
export class MoneyWithdrawn {
  constructor(readonly amount: number) {}
}
