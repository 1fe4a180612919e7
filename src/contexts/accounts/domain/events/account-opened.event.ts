import { DomainEvent } from '../../../../event-sourcing/domain/domain-event.decorator.js';
import { accountOpenedUpcasters } from './account-opened.upcasters.js';

/** v2 added `currency` (v1 events read as `EUR`, see account-opened.upcasters.ts). */
@DomainEvent('AccountOpened', { version: 2, upcasters: accountOpenedUpcasters })
export class AccountOpened {
  constructor(
    readonly owner: string,
    readonly currency: string,
    readonly overdraftLimit: number,
  ) {}
}
