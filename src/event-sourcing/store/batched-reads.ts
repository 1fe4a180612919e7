/**
 * Reads asked for while one is in flight wait for it, then go out together as the next
 * one: under load, one round trip serves many callers, and still no caller gets an
 * answer read before it asked (a change that returned before the call is always seen).
 */
export class BatchedReads<R> {
  private next?: { keys: Set<string>; answer: Promise<R> };
  private inFlight: Promise<unknown> = Promise.resolve();

  /** @param read reads these keys (distinct, at least one) in one round trip */
  constructor(private readonly read: (keys: string[]) => Promise<R>) {}

  /** The answer of the next read, which includes these keys; its failure fails every caller in it. */
  of(keys: Iterable<string>): Promise<R> {
    const batch = (this.next ??= this.nextBatch());
    for (const key of keys) batch.keys.add(key);
    return batch.answer;
  }

  private nextBatch(): { keys: Set<string>; answer: Promise<R> } {
    const keys = new Set<string>();
    const answer = this.inFlight.then(() => {
      this.next = undefined;
      return this.read([...keys]);
    });
    this.inFlight = answer.catch(() => undefined);
    return { keys, answer };
  }
}
