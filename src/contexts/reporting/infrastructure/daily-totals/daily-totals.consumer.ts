import type { EntityManager } from 'typeorm';
import { InboxConsumer, Receives, type InboxContext } from '../../../../broker/inbox/inbox-consumer.decorator.js';
import type { EventResponse } from '#event-sourcing/http';

export const DAILY_TOTALS = 'reporting-daily-totals';

/** Deposits and withdrawals say which account, not which currency: the account's opening does. */
export class AccountNotKnownYet extends Error {
  constructor(readonly accountId: string) {
    super(`Account ${accountId} has not been opened here yet (its AccountOpened comes later)`);
  }
}

/**
 * Keeps `reporting_daily_totals` from the accounts context's events as the broker
 * delivers them: the wire names and fields below are all this context knows of accounts.
 * A movement that arrives before its account's opening (redelivered out of order, or
 * taken by another instance) is refused, and JetStream delivers it again later.
 */
@InboxConsumer(DAILY_TOTALS, { subject: 'Account.>' })
export class DailyTotalsConsumer {
  @Receives('AccountOpened')
  async opened(event: EventResponse, { manager }: InboxContext): Promise<void> {
    await manager.query(
      'INSERT INTO reporting_account_currencies (account_id, currency) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [event.streamId, event.data.currency],
    );
  }

  @Receives('MoneyDeposited')
  async deposited(event: EventResponse, { manager }: InboxContext): Promise<void> {
    await this.add(manager, event, 1, 0);
  }

  @Receives('MoneyWithdrawn')
  async withdrawn(event: EventResponse, { manager }: InboxContext): Promise<void> {
    await this.add(manager, event, 0, 1);
  }

  private async add(manager: EntityManager, event: EventResponse, deposit: 0 | 1, withdrawal: 0 | 1): Promise<void> {
    const added: unknown[] = await manager.query(
      `INSERT INTO reporting_daily_totals AS t (day, currency, deposit_count, deposit_total, withdrawal_count, withdrawal_total)
       SELECT ($2::timestamptz AT TIME ZONE 'UTC')::date, c.currency, $3::int, $3::int * $5::bigint, $4::int, $4::int * $5::bigint
         FROM reporting_account_currencies c WHERE c.account_id = $1
       ON CONFLICT (day, currency) DO UPDATE SET
         deposit_count = t.deposit_count + EXCLUDED.deposit_count,
         deposit_total = t.deposit_total + EXCLUDED.deposit_total,
         withdrawal_count = t.withdrawal_count + EXCLUDED.withdrawal_count,
         withdrawal_total = t.withdrawal_total + EXCLUDED.withdrawal_total
       RETURNING 1`,
      [event.streamId, event.recordedAt, deposit, withdrawal, event.data.amount],
    );
    if (added.length === 0) throw new AccountNotKnownYet(event.streamId);
  }
}
