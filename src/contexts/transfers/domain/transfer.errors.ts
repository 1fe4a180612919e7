import { DomainRuleViolation } from '#event-sourcing/domain';

export class SameAccountTransfer extends DomainRuleViolation {
  readonly code = 'same_account';
  constructor(accountId: string) {
    super(`A transfer needs two different accounts; both are ${accountId}`);
  }
}

export class InvalidTransferAmount extends DomainRuleViolation {
  readonly code = 'invalid_amount';
  constructor(amount: number) {
    super(`${amount} is not a positive whole number of minor units`);
  }
}

/** The example has no exchange rates: money moves only between accounts of one currency. */
export class CurrencyMismatch extends DomainRuleViolation {
  readonly code = 'currency_mismatch';
  constructor(fromCurrency: string, toCurrency: string) {
    super(`A transfer moves money between accounts of one currency, not from ${fromCurrency} to ${toCurrency}`);
  }
}

/** Only a transfer whose money left the source can be completed. */
export class TransferNotDebited extends DomainRuleViolation {
  readonly code = 'transfer_not_debited';
  constructor(transferId: string) {
    super(`Transfer ${transferId} cannot complete: its amount was not paid out yet`);
  }
}
