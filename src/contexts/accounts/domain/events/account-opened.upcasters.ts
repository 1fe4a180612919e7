import type { Upcasters } from '#event-sourcing/domain';

/**
 * Older shapes of AccountOpened, brought up to the current one on every read.
 * - v1 -> v2: v1 had no `currency`; every account opened then was in euros.
 */
export const accountOpenedUpcasters: Upcasters = {
  1: (v1) => ({ ...v1, currency: v1.currency ?? 'EUR' }),
};
