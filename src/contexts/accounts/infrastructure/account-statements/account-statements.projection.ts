import { Follower, HandlesBatches, type BatchEvent, type FollowerBatchContext } from '#event-sourcing';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import {
  ACCOUNT_STATEMENTS,
  type StatementLineKind,
} from '../../application/account-statements/get-statement.query.js';

type Movement = MoneyDeposited | MoneyWithdrawn | TransferSent | TransferReceived | TransferRefunded;

/**
 * The batch's lines in one statement: each line's balance is the account's last stored
 * line's (read before this statement's own rows) plus the batch's amounts up to it.
 */
const INSERT_LINES = `
  INSERT INTO account_statement_lines (account_id, version, position, kind, amount, balance_after, transfer_id, recorded_at)
  SELECT line.account_id, line.version, line.position, line.kind, line.amount,
         coalesce(last.balance_after, 0)
           + sum(line.amount) OVER (PARTITION BY line.account_id ORDER BY line.version),
         line.transfer_id, line.recorded_at
    FROM unnest($1::uuid[], $2::integer[], $3::bigint[], $4::text[], $5::bigint[], $6::uuid[], $7::timestamptz[])
         AS line (account_id, version, position, kind, amount, transfer_id, recorded_at)
    LEFT JOIN LATERAL (
      SELECT balance_after FROM account_statement_lines
       WHERE account_id = line.account_id ORDER BY version DESC LIMIT 1
    ) last ON true`;

/** What a movement adds to the balance, its kind of line, and its transfer. */
function lineOf(event: Movement): { kind: StatementLineKind; amount: number; transferId: string | null } {
  if (event instanceof MoneyDeposited) return { kind: 'deposit', amount: event.amount, transferId: null };
  if (event instanceof MoneyWithdrawn) return { kind: 'withdrawal', amount: -event.amount, transferId: null };
  if (event instanceof TransferSent)
    return { kind: 'transfer-out', amount: -event.amount, transferId: event.transferId };
  if (event instanceof TransferReceived)
    return { kind: 'transfer-in', amount: event.amount, transferId: event.transferId };
  return { kind: 'refund', amount: event.amount, transferId: event.transferId };
}

/**
 * Keeps `account_statement_lines`: every deposit, withdrawal and transfer of an account
 * with its running balance.
 *
 * A batch at a time, in one statement: the batch's transaction holds back every reader of
 * the log until it commits (docs/ARCHITECTURE.md, "The log"), so it must not last a round
 * trip per event: under a steady load, a statement and a query per event made batches that
 * held the other followers up for seconds (docs/PERFORMANCE.md, "Commands and HTTP").
 */
@Follower(ACCOUNT_STATEMENTS, { tables: ['account_statement_lines'] })
export class AccountStatementsProjection {
  @HandlesBatches(MoneyDeposited, MoneyWithdrawn, TransferSent, TransferReceived, TransferRefunded)
  async apply(events: BatchEvent<Movement>[], { manager }: FollowerBatchContext): Promise<void> {
    const lines = events.map(({ event, envelope }) => ({ envelope, ...lineOf(event) }));
    await manager.query(INSERT_LINES, [
      lines.map((line) => line.envelope.streamId),
      lines.map((line) => line.envelope.version),
      lines.map((line) => line.envelope.position),
      lines.map((line) => line.kind),
      lines.map((line) => line.amount),
      lines.map((line) => line.transferId),
      lines.map((line) => line.envelope.recordedAt),
    ]);
  }
}
