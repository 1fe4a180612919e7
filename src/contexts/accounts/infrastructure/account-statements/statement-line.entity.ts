import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { StatementLineKind, StatementLineView } from '../../application/account-statements/get-statement.query.js';
import { bigintNumber } from '../bigint-number.transformer.js';

/** One money movement of one account, with the balance after it; kept by the account-statements projection. */
@Entity('account_statement_lines')
export class StatementLine implements StatementLineView {
  @PrimaryColumn('uuid', { name: 'account_id' }) accountId!: string;
  @PrimaryColumn('integer') version!: number;
  @Column('bigint', { transformer: bigintNumber }) position!: number;
  @Column('text') kind!: StatementLineKind;
  /** Signed: what the movement added to the balance. */
  @Column('bigint', { transformer: bigintNumber }) amount!: number;
  @Column('bigint', { name: 'balance_after', transformer: bigintNumber }) balanceAfter!: number;
  @Column('uuid', { name: 'transfer_id', nullable: true }) transferId!: string | null;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
}
