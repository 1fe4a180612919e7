import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DailyTotalView } from '../../application/daily-totals/get-daily-totals.query.js';

/** Deposits and withdrawals of one UTC day in one currency, kept by the daily-totals inbox consumer. */
@Entity('reporting_daily_totals')
export class DailyTotal implements DailyTotalView {
  /** `YYYY-MM-DD`: TypeORM hands a date column over as text. */
  @PrimaryColumn('date') day!: string;
  @PrimaryColumn('text') currency!: string;
  @Column('integer', { name: 'deposit_count', default: 0 }) depositCount!: number;
  /** bigint arrives as text; amounts stay below 2^53. */
  @Column('bigint', { name: 'deposit_total', default: 0 }) depositTotal!: string;
  @Column('integer', { name: 'withdrawal_count', default: 0 }) withdrawalCount!: number;
  @Column('bigint', { name: 'withdrawal_total', default: 0 }) withdrawalTotal!: string;
}
