import type { DailyTotal } from './daily-total.entity.js';

/** Daily totals from `from` to `to` (inclusive `YYYY-MM-DD`, each optional), oldest day first. */
export class GetDailyTotals {
  constructor(
    readonly limit: number,
    readonly from?: string,
    readonly to?: string,
    readonly currency?: string,
  ) {}
}

export type DailyTotals = DailyTotal[];
