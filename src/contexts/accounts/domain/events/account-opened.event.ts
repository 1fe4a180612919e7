import { DomainEvent } from '../../../../event-sourcing/domain/domain-event.decorator.js';

@DomainEvent('AccountOpened', { version: 1 })
export class AccountOpened {
  constructor(
    readonly owner: string,
    readonly currency: string,
    readonly overdraftLimit: number,
  ) {}
}
