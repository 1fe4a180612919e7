const REPORT_EVERY_MS = 2_000;

/** A progress line every couple of seconds: events read in this run, where, and how fast. */
export class MigrationProgress {
  private readonly started = Date.now();
  private reported = this.started;
  private events = 0;

  constructor(readonly log: (line: string) => void) {}

  batch(events: number, position: number, end: number): void {
    this.events += events;
    const now = Date.now();
    if (now - this.reported < REPORT_EVERY_MS) return;
    this.reported = now;
    this.log(`${this.events} events read, at position ${position} of ${end} (${this.rate(now)} events/s)`);
  }

  /** How this run went, for the summary line. */
  get summary(): string {
    const now = Date.now();
    return `${this.events} events read in this run in ${((now - this.started) / 1000).toFixed(1)} s (${this.rate(now)} events/s)`;
  }

  private rate(now: number): number {
    return Math.round((this.events * 1000) / Math.max(now - this.started, 1));
  }
}
