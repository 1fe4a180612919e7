import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountSummaryView } from '../../application/account-summaries/list-accounts.query.js';
import { bigintNumber } from '../bigint-number.transformer.js';

/** One row per account, kept by the account-summaries projection. */
@Entity('account_summaries')
// Declared so that migration:generate keeps the migrations' indexes: the owner search, the subject's own list.
@Index('account_summaries_owner_id', ['owner', 'id'])
@Index('account_summaries_opened_by_id', ['openedBy', 'id'])
export class AccountSummary implements AccountSummaryView {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') owner!: string;
  /** The subject who opened it (its first event's actor); null when nothing authenticated that request. */
  @Column('text', { name: 'opened_by', nullable: true }) openedBy!: string | null;
  @Column('text') currency!: string;
  @Column('bigint', { transformer: bigintNumber }) balance!: number;
  @Column('bigint', { name: 'overdraft_limit', transformer: bigintNumber }) overdraftLimit!: number;
  @Column('text') status!: 'open' | 'closed';
  @Column('integer') version!: number;
  @Column('timestamptz', { name: 'opened_at' }) openedAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
