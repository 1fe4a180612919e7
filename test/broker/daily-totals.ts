import type { EventBody } from '../support/accounts-api.js';

export interface DailyTotalBody {
  day: string;
  currency: string;
  depositCount: number;
  depositTotal: number;
  withdrawalCount: number;
  withdrawalTotal: number;
}

/** What GET /reports/daily-totals must say about `log`, worked out from the events alone. */
export function dailyTotalsOf(log: EventBody[]): DailyTotalBody[] {
  const currencyOf = new Map(
    log.filter((e) => e.type === 'AccountOpened').map((e) => [e.streamId, e.data.currency as string]),
  );
  const totals = new Map<string, DailyTotalBody>();
  for (const event of log) {
    if (event.type !== 'MoneyDeposited' && event.type !== 'MoneyWithdrawn') continue;
    const day = event.recordedAt.slice(0, 10);
    const currency = currencyOf.get(event.streamId)!;
    const key = `${day} ${currency}`;
    const total = totals.get(key) ?? {
      day,
      currency,
      depositCount: 0,
      depositTotal: 0,
      withdrawalCount: 0,
      withdrawalTotal: 0,
    };
    const amount = event.data.amount as number;
    if (event.type === 'MoneyDeposited') {
      total.depositCount++;
      total.depositTotal += amount;
    } else {
      total.withdrawalCount++;
      total.withdrawalTotal += amount;
    }
    totals.set(key, total);
  }
  return [...totals.keys()].sort().map((key) => totals.get(key)!);
}
