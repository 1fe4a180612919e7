import { setTimeout as sleep } from 'node:timers/promises';

export const LOG_CHANNEL = 'chronicle_log';
const NOTIFY_EVERY_MS = 20;

/**
 * Wakes waiting followers when the log grows: at once for appends in this process, and
 * through NOTIFY for other processes (at most one NOTIFY per 20 ms, sent after commit so
 * that it never serialises the appends themselves). Notifications are lost while a
 * listener is disconnected, so followers poll as well.
 */
export class LogWakeup {
  private waiters = new Set<() => void>();
  private notifyPending = false;
  private wakeups = 0;

  constructor(private readonly notifyOthers: () => Promise<unknown> = async () => undefined) {}

  /** Counts wake-ups: read it before looking at the log, pass it to {@link wait} after. */
  get generation(): number {
    return this.wakeups;
  }

  /**
   * Resolves when the log may have grown, or after `ms` at the latest; at once if it
   * may have grown since `generation` was read.
   */
  async wait(ms: number, since?: number): Promise<void> {
    if (since !== undefined && since !== this.wakeups) return;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => this.waiters.add((wake = resolve)));
    const timeout = new AbortController();
    await Promise.race([woken, sleep(ms, undefined, { signal: timeout.signal }).catch(() => undefined)]);
    timeout.abort();
    this.waiters.delete(wake);
  }

  /** This process appended: wake its followers now, and the other processes' shortly. */
  appended(): void {
    this.wake();
    if (this.notifyPending) return;
    this.notifyPending = true;
    setTimeout(() => {
      this.notifyPending = false;
      // Polling covers a lost notification, and a pool closed by shutdown.
      Promise.resolve()
        .then(this.notifyOthers)
        .catch(() => undefined);
    }, NOTIFY_EVERY_MS).unref();
  }

  wake(): void {
    this.wakeups++;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const resolve of waiters) resolve();
  }
}
