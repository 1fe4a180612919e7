import { DomainEvent } from '#event-sourcing/domain';
import { accountOpenedUpcasters } from './account-opened.upcasters.js';

/** What the owner's name reads as once the account's personal data was erased. */
export const ERASED_OWNER = '[erased]';

/**
 * v2 added `currency` (v1 events read as `EUR`, see account-opened.upcasters.ts).
 * `owner` is personal data: encrypted with the account's key, gone once it is erased.
 */
@DomainEvent('AccountOpened', { version: 2, upcasters: accountOpenedUpcasters, personal: { owner: ERASED_OWNER } })
export class AccountOpened {
  constructor(
    readonly owner: string,
    readonly currency: string,
    readonly overdraftLimit: number,
  ) {}
}
