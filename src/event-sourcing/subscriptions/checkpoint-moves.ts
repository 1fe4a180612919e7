import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Tells the reads of this process when a follower here has committed a move of its
 * checkpoint, so that a read waiting for a view to reach a position (`?minPosition=`)
 * goes on as soon as it does, instead of polling the database.
 */
export class CheckpointMoves {
  private readonly listeners = new Map<string, Set<(position: number) => void>>();

  /** Follower `name` has committed its checkpoint at `position`. */
  moved(name: string, position: number): void {
    for (const listener of this.listeners.get(name) ?? []) listener(position);
  }

  /**
   * Waits until follower `name` has passed `position`, or `timeoutMs` has passed, and
   * returns its checkpoint. `stored` reads the checkpoint from the database: once at
   * first, then every `recheckMs` while no move here has reached the position, for a
   * follower that runs in another instance moves it without telling this process.
   */
  async waitFor(
    name: string,
    position: number,
    timeoutMs: number,
    stored: () => Promise<number>,
    recheckMs: number,
  ): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let movedHere = 0;
    let wake = () => {};
    const listener = (moved: number) => {
      movedHere = Math.max(movedHere, moved);
      wake();
    };
    // Listening before the first read: a move committed while it runs is not missed.
    const listeners = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, listeners.add(listener));
    try {
      let checkpoint = await stored();
      let recheckAt = performance.now() + recheckMs;
      for (;;) {
        checkpoint = Math.max(checkpoint, movedHere);
        const now = performance.now();
        if (checkpoint >= position || now >= deadline) return checkpoint;
        if (now >= recheckAt) {
          checkpoint = await stored();
          recheckAt = performance.now() + recheckMs;
          continue;
        }
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const timer = new AbortController();
        await Promise.race([
          woken,
          sleep(Math.min(deadline, recheckAt) - now, undefined, { signal: timer.signal }).catch(() => undefined),
        ]);
        timer.abort();
      }
    } finally {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(name);
    }
  }
}
