import { setTimeout as sleep } from 'node:timers/promises';

/** Reads until `done` holds, for what happens after a request answered (followers, snapshots); at most 20 s. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let tries = 0; tries < 400; tries++) {
    const value = await read();
    if (done(value)) return value;
    await sleep(50);
  }
  throw new Error(`Gave up waiting for ${what}`);
}
