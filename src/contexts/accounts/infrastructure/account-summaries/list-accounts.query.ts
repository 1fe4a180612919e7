import type { AccountSummary } from './account-summary.entity.js';

/** A page of account summaries, oldest account first (ids are time-ordered UUIDv7). */
export class ListAccounts {
  constructor(
    readonly limit: number,
    /** The id of the last account of the previous page. */
    readonly after?: string,
    readonly owner?: string,
  ) {}
}

export interface AccountPage {
  items: AccountSummary[];
  /** More accounts follow the last item. */
  more: boolean;
}
