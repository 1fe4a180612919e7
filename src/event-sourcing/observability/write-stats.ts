/**
 * What the write path did since the process started, counted by stream type. Plain
 * numbers, so the machinery needs no metrics library: the app's metrics read them.
 */
export class WriteStats {
  /** Events stored. */
  readonly appended = new Map<string, number>();
  /** Appends refused because the stream had moved past the expected version. */
  readonly conflicts = new Map<string, number>();
  /** Commands tried again on fresh state after a conflict. */
  readonly retries = new Map<string, number>();

  count(counter: Map<string, number>, streamType: string, by = 1): void {
    counter.set(streamType, (counter.get(streamType) ?? 0) + by);
  }
}
