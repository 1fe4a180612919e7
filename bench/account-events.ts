import { v7 as uuidv7 } from 'uuid';
import { AccountOpened } from '../src/contexts/accounts/domain/events/account-opened.event.js';
import { MoneyDeposited } from '../src/contexts/accounts/domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../src/contexts/accounts/domain/events/money-withdrawn.event.js';
import { EventRegistry, type NewEvent } from '#event-sourcing';

/** An account being seeded: how far its stream is and what its events add up to. */
export interface SeedAccount {
  owner: string;
  version: number;
  balance: number;
}

/**
 * The account's next event as the accounts context writes them: AccountOpened first,
 * then deposits and withdrawals that never overdraw (overdraft limit 0). Moves `balance`;
 * the caller moves `version` once the event is appended.
 */
export function nextAccountEvent(account: SeedAccount): AccountOpened | MoneyDeposited | MoneyWithdrawn {
  if (account.version === 0) return new AccountOpened(account.owner, 'EUR', 0);
  const amount = 100 * (1 + Math.floor(Math.random() * 500));
  if (Math.random() < 0.4 && amount <= account.balance) {
    account.balance -= amount;
    return new MoneyWithdrawn(amount);
  }
  account.balance += amount;
  return new MoneyDeposited(amount);
}

/** An event object as the store appends it, with the metadata of one command. */
export const toNewEvent = (event: object, correlationId: string): NewEvent => ({
  id: uuidv7(),
  ...EventRegistry.toRecord(event),
  metadata: { correlationId, causationId: uuidv7() },
});
