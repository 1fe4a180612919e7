import { DomainEvent } from '../../../../event-sourcing/domain/domain-event.decorator.js';

@DomainEvent('AccountClosed', { version: 1 })
export class AccountClosed {}
