/** The name of the view that answers {@link ListAccounts} (its follower's name). */
export const ACCOUNT_SUMMARIES = 'account-summaries';

/** One account as the account-summaries view keeps it. */
export interface AccountSummaryView {
  id: string;
  owner: string;
  currency: string;
  balance: number;
  overdraftLimit: number;
  status: 'open' | 'closed';
  version: number;
  openedAt: Date;
  updatedAt: Date;
}

/** A page of account summaries, oldest account first (ids are time-ordered UUIDv7). */
export class ListAccounts {
  constructor(
    readonly limit: number,
    /** The id of the last account of the previous page. */
    readonly after?: string,
    readonly owner?: string,
    /** Only the accounts this subject opened; undefined: everyone's. */
    readonly openedBy?: string,
  ) {}
}

export interface AccountPage {
  items: AccountSummaryView[];
  /** More accounts follow the last item. */
  more: boolean;
}
