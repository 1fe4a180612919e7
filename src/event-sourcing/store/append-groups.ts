/** How many groups go out at once and how big one gets. */
export interface GroupLimits {
  /** Groups sent and not answered yet; an append waits only while this many are out. */
  inFlight: number;
  /** Appends in one group. */
  appends: number;
  /** Events in one group; an append with more goes alone. */
  events: number;
  /**
   * An append of this many events or more goes out at once, on its own, whatever is in
   * flight: its events already share its commit, and it would only wait.
   */
  large: number;
  /** How long an append may wait for a group to take it; 0 waits for ever. */
  waitMs: number;
}

/** What groups are formed by: appends of one stream never share a group or go out together, and go out in the order they came. */
export interface Groupable {
  readonly request: { readonly streamId: string; readonly events: readonly unknown[] };
}

interface Waiting<T, R> {
  item: T;
  deadline: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

// The message pg-pool fails a connect with after its connectionTimeoutMillis, which the
// HTTP layer answers with 503: waiting for a group is waiting for a connection.
const WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * Sends appends that arrive while others are in flight together, as one group. No timer
 * holds an append back: it goes out at once while fewer than `inFlight` groups are out,
 * and otherwise waits until one comes back, then goes out with everything else that
 * waited (up to the limits), in arrival order.
 *
 * A stream has at most one append out at a time: a later append of it waits until the
 * earlier one is answered, even with a slot free. Sent at once beside it, it would race it
 * for the stream's lock on another connection and could be stored first (or refused, its
 * expected version not reached yet).
 */
export class AppendGroups<T extends Groupable, R> {
  private inFlight = 0;
  private waiting: Waiting<T, R>[] = [];
  /** The streams of the appends sent and not answered yet. */
  private readonly sent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  /** `send` answers one outcome per append of the group, in order. */
  constructor(
    private readonly limits: GroupLimits,
    private readonly send: (group: T[]) => Promise<PromiseSettledResult<R>[]>,
  ) {}

  append(item: T): Promise<R> {
    const { streamId, events } = item.request;
    if (
      events.length >= this.limits.large &&
      !this.sent.has(streamId) &&
      !this.waiting.some((w) => w.item.request.streamId === streamId)
    ) {
      this.sent.add(streamId);
      return this.send([item])
        .finally(() => {
          this.sent.delete(streamId);
          this.dispatch();
        })
        .then(([outcome]) => (outcome.status === 'fulfilled' ? outcome.value : Promise.reject(outcome.reason)));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, deadline: performance.now() + this.limits.waitMs, resolve, reject });
      this.dispatch();
      this.watchDeadlines();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.limits.inFlight) {
      const group = this.nextGroup();
      if (group.length === 0) return;
      this.run(group);
    }
  }

  /**
   * The first waiting append whose stream is not out and those after it that fit,
   * skipping any of a stream out, already skipped or taken.
   */
  private nextGroup(): Waiting<T, R>[] {
    const group: Waiting<T, R>[] = [];
    const left: Waiting<T, R>[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (const waiting of this.waiting) {
      const { streamId, events: appended } = waiting.item.request;
      const fits =
        !this.sent.has(streamId) &&
        !streams.has(streamId) &&
        (group.length === 0 || (group.length < this.limits.appends && events + appended.length <= this.limits.events));
      if (fits) {
        group.push(waiting);
        events += appended.length;
      } else {
        left.push(waiting);
      }
      streams.add(streamId);
    }
    this.waiting = left;
    return group;
  }

  private run(group: Waiting<T, R>[]): void {
    this.inFlight++;
    for (const waiting of group) this.sent.add(waiting.item.request.streamId);
    const settle = (outcomes: PromiseSettledResult<R>[]) => {
      // Before the callers run on: a caller's next append of its stream is not held back.
      for (const waiting of group) this.sent.delete(waiting.item.request.streamId);
      group.forEach((waiting, i) => {
        const outcome = outcomes[i];
        if (outcome.status === 'fulfilled') waiting.resolve(outcome.value);
        else waiting.reject(outcome.reason);
      });
      // The slot frees once the callers just answered have run on (promise callbacks run
      // first): a caller's next append then joins the next group instead of going out alone.
      setImmediate(() => {
        this.inFlight--;
        this.dispatch();
      });
    };
    this.send(group.map((waiting) => waiting.item)).then(settle, (error: unknown) =>
      settle(group.map(() => ({ status: 'rejected', reason: error }))),
    );
  }

  /** One timer, for the append that has waited longest, and only while any waits. */
  private watchDeadlines(): void {
    if (this.timer || this.limits.waitMs <= 0 || this.waiting.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = performance.now();
      const expired = this.waiting.filter((waiting) => waiting.deadline <= now);
      this.waiting = this.waiting.filter((waiting) => waiting.deadline > now);
      for (const waiting of expired) waiting.reject(new Error(WAIT_TIMEOUT));
      this.watchDeadlines();
    }, this.waiting[0].deadline - performance.now());
    this.timer.unref();
  }
}
