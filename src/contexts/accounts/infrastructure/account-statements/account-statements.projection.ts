import {
  Follower,
  Handles,
  type FollowerContext,
} from '../../../../event-sourcing/subscriptions/follower.decorator.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { StatementLine, type StatementLineKind } from './statement-line.entity.js';

export const ACCOUNT_STATEMENTS = 'account-statements';

/** Keeps `account_statement_lines`: every deposit, withdrawal and transfer of an account with its running balance. */
@Follower(ACCOUNT_STATEMENTS, { tables: ['account_statement_lines'] })
export class AccountStatementsProjection {
  @Handles(MoneyDeposited)
  deposited(event: MoneyDeposited, context: FollowerContext): Promise<void> {
    return this.line(context, 'deposit', event.amount);
  }

  @Handles(MoneyWithdrawn)
  withdrawn(event: MoneyWithdrawn, context: FollowerContext): Promise<void> {
    return this.line(context, 'withdrawal', -event.amount);
  }

  @Handles(TransferSent)
  sent(event: TransferSent, context: FollowerContext): Promise<void> {
    return this.line(context, 'transfer-out', -event.amount, event.transferId);
  }

  @Handles(TransferReceived)
  received(event: TransferReceived, context: FollowerContext): Promise<void> {
    return this.line(context, 'transfer-in', event.amount, event.transferId);
  }

  @Handles(TransferRefunded)
  refunded(event: TransferRefunded, context: FollowerContext): Promise<void> {
    return this.line(context, 'refund', event.amount, event.transferId);
  }

  private async line(
    { envelope, manager }: FollowerContext,
    kind: StatementLineKind,
    amount: number,
    transferId: string | null = null,
  ): Promise<void> {
    const previous = await manager.findOne(StatementLine, {
      where: { accountId: envelope.streamId },
      order: { version: 'DESC' },
    });
    await manager.insert(StatementLine, {
      accountId: envelope.streamId,
      version: envelope.version,
      position: envelope.position,
      kind,
      amount,
      balanceAfter: (previous?.balanceAfter ?? 0) + amount,
      transferId,
      recordedAt: envelope.recordedAt,
    });
  }
}
