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

/** Only a transfer whose money left the source can be completed. */
export class TransferNotDebited extends DomainRuleViolation {
  readonly code = 'transfer_not_debited';
  constructor(transferId: string) {
    super(`Transfer ${transferId} cannot complete: its amount was not paid out yet`);
  }
}
