import { DomainConflict, DomainRuleViolation } from '#event-sourcing/domain';

export class InsufficientFunds extends DomainRuleViolation {
  readonly code = 'insufficient_funds';
  constructor(accountId: string, available: number, requested: number) {
    super(`Account ${accountId} can pay out ${available}, not ${requested}`);
  }
}

export class AccountClosedError extends DomainRuleViolation {
  readonly code = 'account_closed';
  constructor(accountId: string) {
    super(`Account ${accountId} is closed`);
  }
}

export class BalanceNotZero extends DomainRuleViolation {
  readonly code = 'balance_not_zero';
  constructor(accountId: string, balance: number) {
    super(`Account ${accountId} has a balance of ${balance}; only an account with a balance of 0 can be closed`);
  }
}

export class InvalidAmount extends DomainRuleViolation {
  readonly code = 'invalid_amount';
  constructor(amount: number) {
    super(`${amount} is not a positive whole number of minor units`);
  }
}

/** Balances stay exact JavaScript integers, also once the transfers in flight come back. */
export class BalanceLimitExceeded extends DomainRuleViolation {
  readonly code = 'balance_limit_exceeded';
  constructor(accountId: string) {
    super(
      `Account ${accountId} cannot take this amount: its balance, with the transfers it sent that may still come back, would pass ${Number.MAX_SAFE_INTEGER}`,
    );
  }
}

/** Closing now would strand the refund of a transfer that has not reached its destination yet. */
export class TransferInFlight extends DomainConflict {
  readonly code = 'transfer_in_flight';
  constructor(accountId: string, transfers: number) {
    super(
      `Account ${accountId} has transfers on the way out that have not completed or failed yet (${transfers}); retry closing once they have`,
    );
  }
}
