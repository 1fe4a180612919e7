import { AsyncLocalStorage } from 'node:async_hooks';

/** The follower lease an append is made under: its name, and the token its holder claimed. */
export interface AppendFence {
  follower: string;
  lease: number;
}

const fences = new AsyncLocalStorage<AppendFence>();

/**
 * Runs `work` with every append it makes through a PostgreSQL store fenced by `fence`: the
 * append is stored only while no newer token has been claimed for the follower's lease,
 * checked in the statement that appends, under a share lock of the follower's row, so that
 * a claim either waits for the append to commit or refuses it. A process manager's commands
 * run so: a holder stopped mid-handler (SIGSTOP, a VM pause) whose lease moved to another
 * instance writes nothing when it continues (issue 16, "fenced leases").
 */
export const underFence = <T>(fence: AppendFence, work: () => Promise<T>): Promise<T> => fences.run(fence, work);

/** The fence of the work running now, if any. */
export const currentFence = (): AppendFence | undefined => fences.getStore();

/**
 * An append made under a follower's lease was refused: another process claimed the lease
 * since, and runs the follower now. Nothing was stored; the handler must do no more.
 */
export class FencedAppendError extends Error {
  constructor(readonly follower: string) {
    super(`Follower ${follower}: its lease was taken over, so this append was refused`);
  }
}
