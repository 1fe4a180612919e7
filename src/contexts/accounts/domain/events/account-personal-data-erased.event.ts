import { DomainEvent } from '#event-sourcing/domain';

/**
 * The account's key for personal data was destroyed: its owner's name now reads as
 * erased everywhere. Recorded so that views which copied the name erase it too.
 */
@DomainEvent('AccountPersonalDataErased', { version: 1 })
export class AccountPersonalDataErased {}
