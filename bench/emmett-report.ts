import { EMMETT, EMMETT_NEW_STREAMS } from './emmett.js';

/** Chronicle's contenders and the Emmett contender that does the same work. */
const PEERS: Record<string, string> = { chronicle: EMMETT, 'chronicle new streams': EMMETT_NEW_STREAMS };

interface Measured {
  kind?: string;
  contender: string;
  writers?: number;
  events?: number;
}

/**
 * A Chronicle cell's figure over its Emmett peer's in the same workload and column (events/s
 * for appends and reads, so above 1 is faster; ms for stream loads, so below 1 is faster).
 */
export function toEmmett<Cell extends Measured>(cells: Cell[], cell: Cell, figure: (cell: Cell) => number) {
  const peer = cells.find(
    (c) =>
      c.contender === PEERS[cell.contender] &&
      c.kind === cell.kind &&
      c.writers === cell.writers &&
      c.events === cell.events,
  );
  return peer ? figure(cell) / figure(peer) : undefined;
}

/** ", 2.10x emmett" for a Chronicle cell with an Emmett peer, else nothing. */
export function emmettSuffix<Cell extends Measured>(cells: Cell[], cell: Cell, figure: (cell: Cell) => number) {
  const ratio = toEmmett(cells, cell, figure);
  return ratio === undefined ? '' : `, ${ratio.toFixed(2)}x emmett`;
}

/** Issue 8's target: Chronicle appends at least twice as fast as Emmett at 32 writers. */
export function emmettTargetLine<Cell extends Measured & { eventsPerSecond: number }>(cells: Cell[]): string {
  const at32 = cells.filter((c) => c.kind === 'append' && c.writers === 32 && PEERS[c.contender]);
  const ratios = at32.flatMap((cell) => {
    const ratio = toEmmett(cells, cell, (c) => c.eventsPerSecond);
    return ratio === undefined ? [] : [`${cell.contender} / ${PEERS[cell.contender]} ${ratio.toFixed(2)}x`];
  });
  return `- at 32 writers: ${ratios.join(', ')} (target: >= 2.0)`;
}
