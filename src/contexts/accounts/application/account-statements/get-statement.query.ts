/** The name of the view that answers {@link GetStatement} (its follower's name). */
export const ACCOUNT_STATEMENTS = 'account-statements';

export type StatementLineKind = 'deposit' | 'withdrawal' | 'transfer-out' | 'transfer-in' | 'refund';

/** One money movement of one account, with the balance after it, as the account-statements view keeps it. */
export interface StatementLineView {
  accountId: string;
  version: number;
  position: number;
  kind: StatementLineKind;
  /** Signed: what the movement added to the balance. */
  amount: number;
  balanceAfter: number;
  transferId: string | null;
  recordedAt: Date;
}

/** An account's statement lines from a version on, oldest first. */
export class GetStatement {
  constructor(
    readonly accountId: string,
    readonly fromVersion: number,
    readonly limit: number,
  ) {}
}
