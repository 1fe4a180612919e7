/** How the benchmark's sections print and compare their figures. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const number = (n: number) => Math.round(n).toLocaleString('en-US');
/** A target's verdict, in capitals when missed so that it stands out in the table. */
export const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

/** A cell's median rate, as the report's sections look it up. */
export interface CellRate {
  kind: string;
  contender: string;
  writers: number;
  eventsPerSecond: number;
}
