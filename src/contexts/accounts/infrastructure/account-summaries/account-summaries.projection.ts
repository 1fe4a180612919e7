import type { EntityManager } from 'typeorm';
import { Follower, HandlesBatches, type BatchEvent, type FollowerBatchContext } from '#event-sourcing';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened, ERASED_OWNER } from '../../domain/events/account-opened.event.js';
import { AccountPersonalDataErased } from '../../domain/events/account-personal-data-erased.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferDelivered } from '../../domain/events/transfer-delivered.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { ACCOUNT_SUMMARIES } from '../../application/account-summaries/list-accounts.query.js';

type AccountEvent =
  | AccountOpened
  | MoneyDeposited
  | TransferReceived
  | TransferRefunded
  | MoneyWithdrawn
  | TransferSent
  | TransferDelivered
  | AccountClosed
  | AccountPersonalDataErased;

/** What one batch does to one account's row. */
interface SummaryChange {
  id: string;
  /** The account was opened in this batch: its row is new. */
  opened?: { currency: string; overdraftLimit: number; at: Date; by: string | null };
  /** Credits minus debits in this batch (the whole balance of a new row). */
  balance: number;
  /** null: as it was. */
  status: 'open' | 'closed' | null;
  owner: string | null;
  version: number;
  updatedAt: Date;
}

const INSERT_OPENED = `
  INSERT INTO account_summaries (id, owner, currency, balance, overdraft_limit, status, version, opened_at, updated_at,
                                opened_by)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::integer[],
                       $8::timestamptz[], $9::timestamptz[], $10::text[])`;

const UPDATE_CHANGED = `
  UPDATE account_summaries AS summary
     SET balance = summary.balance + change.balance,
         status = coalesce(change.status, summary.status),
         owner = coalesce(change.owner, summary.owner),
         version = change.version,
         updated_at = change.updated_at
    FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::integer[], $6::timestamptz[])
         AS change (id, balance, status, owner, version, updated_at)
   WHERE summary.id = change.id`;

/**
 * Keeps `account_summaries`: the list of accounts with their balances, for GET /accounts.
 *
 * It takes the log a batch at a time, so that a rebuild (or a restart after a while) catches
 * up fast: it folds the batch's events per account in memory, then writes each account's row
 * once, in two statements for the whole batch instead of one per event. That also keeps the
 * batch's transaction short, which live followers need (see account-statements).
 */
@Follower(ACCOUNT_SUMMARIES, { tables: ['account_summaries'] })
export class AccountSummariesProjection {
  @HandlesBatches(
    AccountOpened,
    MoneyDeposited,
    TransferReceived,
    TransferRefunded,
    MoneyWithdrawn,
    TransferSent,
    // Moves no money, but the row's version and updatedAt follow every event of the account.
    TransferDelivered,
    AccountClosed,
    AccountPersonalDataErased,
  )
  async apply(events: BatchEvent<AccountEvent>[], { manager }: FollowerBatchContext): Promise<void> {
    const changes = new Map<string, SummaryChange>();
    for (const { event, envelope } of events) {
      let change = changes.get(envelope.streamId);
      if (!change) {
        change = { id: envelope.streamId, balance: 0, status: null, owner: null, version: 0, updatedAt: new Date(0) };
        changes.set(change.id, change);
      }
      if (event instanceof AccountOpened) {
        change.opened = {
          currency: event.currency,
          overdraftLimit: event.overdraftLimit,
          at: envelope.recordedAt,
          by: envelope.metadata.actorId ?? null,
        };
        change.owner = event.owner;
        change.status = 'open';
      } else if (
        event instanceof MoneyDeposited ||
        event instanceof TransferReceived ||
        event instanceof TransferRefunded
      ) {
        change.balance += event.amount;
      } else if (event instanceof MoneyWithdrawn || event instanceof TransferSent) {
        change.balance -= event.amount;
      } else if (event instanceof AccountClosed) {
        change.status = 'closed';
      } else if (event instanceof AccountPersonalDataErased) {
        // The view copied the owner's name: it goes with the key.
        change.owner = ERASED_OWNER;
      }
      change.version = envelope.version;
      change.updatedAt = envelope.recordedAt;
    }
    const all = [...changes.values()];
    await insertOpened(
      manager,
      all.filter((change) => change.opened),
    );
    await updateChanged(
      manager,
      all.filter((change) => !change.opened),
    );
  }
}

async function insertOpened(manager: EntityManager, rows: SummaryChange[]): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(INSERT_OPENED, [
    rows.map((row) => row.id),
    rows.map((row) => row.owner),
    rows.map((row) => row.opened!.currency),
    rows.map((row) => row.balance),
    rows.map((row) => row.opened!.overdraftLimit),
    rows.map((row) => row.status),
    rows.map((row) => row.version),
    rows.map((row) => row.opened!.at),
    rows.map((row) => row.updatedAt),
    rows.map((row) => row.opened!.by),
  ]);
}

async function updateChanged(manager: EntityManager, rows: SummaryChange[]): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(UPDATE_CHANGED, [
    rows.map((row) => row.id),
    rows.map((row) => row.balance),
    rows.map((row) => row.status),
    rows.map((row) => row.owner),
    rows.map((row) => row.version),
    rows.map((row) => row.updatedAt),
  ]);
}
