import type { EntityManager } from 'typeorm';
import {
  Follower,
  Handles,
  type FollowerContext,
} from '../../../../event-sourcing/subscriptions/follower.decorator.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened, ERASED_OWNER } from '../../domain/events/account-opened.event.js';
import { AccountPersonalDataErased } from '../../domain/events/account-personal-data-erased.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { AccountSummary } from './account-summary.entity.js';

export const ACCOUNT_SUMMARIES = 'account-summaries';

/** Keeps `account_summaries`: the list of accounts with their balances, for GET /accounts. */
@Follower(ACCOUNT_SUMMARIES, { tables: ['account_summaries'] })
export class AccountSummariesProjection {
  @Handles(AccountOpened)
  async opened(event: AccountOpened, { envelope, manager }: FollowerContext): Promise<void> {
    await manager.insert(AccountSummary, {
      id: envelope.streamId,
      owner: event.owner,
      currency: event.currency,
      balance: 0,
      overdraftLimit: event.overdraftLimit,
      status: 'open',
      version: envelope.version,
      openedAt: envelope.recordedAt,
      updatedAt: envelope.recordedAt,
    });
  }

  @Handles(MoneyDeposited, TransferReceived, TransferRefunded)
  async credited(event: { amount: number }, { envelope, manager }: FollowerContext): Promise<void> {
    await this.change(manager, envelope.streamId, event.amount, envelope);
  }

  @Handles(MoneyWithdrawn, TransferSent)
  async debited(event: { amount: number }, { envelope, manager }: FollowerContext): Promise<void> {
    await this.change(manager, envelope.streamId, -event.amount, envelope);
  }

  @Handles(AccountClosed)
  async closed(_: AccountClosed, { envelope, manager }: FollowerContext): Promise<void> {
    await manager.update(
      AccountSummary,
      { id: envelope.streamId },
      { status: 'closed', version: envelope.version, updatedAt: envelope.recordedAt },
    );
  }

  /** The view copied the owner's name: it goes with the key. */
  @Handles(AccountPersonalDataErased)
  async erased(_: AccountPersonalDataErased, { envelope, manager }: FollowerContext): Promise<void> {
    await manager.update(
      AccountSummary,
      { id: envelope.streamId },
      { owner: ERASED_OWNER, version: envelope.version, updatedAt: envelope.recordedAt },
    );
  }

  private async change(
    manager: EntityManager,
    id: string,
    delta: number,
    envelope: FollowerContext['envelope'],
  ): Promise<void> {
    await manager.query(
      'UPDATE account_summaries SET balance = balance + $2, version = $3, updated_at = $4 WHERE id = $1',
      [id, delta, envelope.version, envelope.recordedAt],
    );
  }
}
