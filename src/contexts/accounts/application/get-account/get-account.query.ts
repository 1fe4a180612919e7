import type { PointInTime } from '#event-sourcing';

/** The account as it is now, or as it was at a version or an instant (time travel). */
export class GetAccount {
  constructor(
    readonly accountId: string,
    readonly at: PointInTime = {},
  ) {}
}
