/** Deposits and withdrawals of one UTC day in one currency, as the daily-totals view keeps them. */
export interface DailyTotalView {
  /** `YYYY-MM-DD`. */
  day: string;
  currency: string;
  depositCount: number;
  /** bigint arrives as text; amounts stay below 2^53. */
  depositTotal: string;
  withdrawalCount: number;
  withdrawalTotal: string;
}

/** Daily totals from `from` to `to` (inclusive `YYYY-MM-DD`, each optional), oldest day first. */
export class GetDailyTotals {
  constructor(
    readonly limit: number,
    readonly from?: string,
    readonly to?: string,
    readonly currency?: string,
  ) {}
}

export type DailyTotals = DailyTotalView[];
