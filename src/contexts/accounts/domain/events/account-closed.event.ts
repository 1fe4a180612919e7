import { DomainEvent } from '#event-sourcing/domain';

@DomainEvent('AccountClosed', { version: 1 })
export class AccountClosed {}
