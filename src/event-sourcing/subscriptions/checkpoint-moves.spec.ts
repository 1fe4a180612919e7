import { CheckpointMoves } from './checkpoint-moves.js';

const MINUTE = 60_000;

/** A stored checkpoint that counts its reads, and can hold a read back until released. */
function storedCheckpoint(...positions: number[]) {
  const reads: number[] = [];
  let release = () => {};
  let held: Promise<void> | undefined;
  return {
    reads,
    hold: () => (held = new Promise<void>((resolve) => (release = resolve))),
    release: () => release(),
    read: async () => {
      const position = positions[Math.min(reads.length, positions.length - 1)];
      reads.push(position);
      await held;
      return position;
    },
  };
}

describe('CheckpointMoves', () => {
  it('answers at once, after one read, when the stored checkpoint has passed the position', async () => {
    const stored = storedCheckpoint(12);

    await expect(new CheckpointMoves().waitFor('view', 10, MINUTE, stored.read, MINUTE)).resolves.toBe(12);
    expect(stored.reads).toEqual([12]);
  });

  it('wakes when a follower here moves past the position, without reading the checkpoint again', async () => {
    const moves = new CheckpointMoves();
    const stored = storedCheckpoint(5);

    const waiting = moves.waitFor('view', 10, MINUTE, stored.read, MINUTE);
    await Promise.resolve();
    moves.moved('view', 8);
    moves.moved('other-view', 50);
    moves.moved('view', 11);

    await expect(waiting).resolves.toBe(11);
    expect(stored.reads).toEqual([5]);
  });

  it('does not miss a move committed while its first read of the checkpoint runs', async () => {
    const moves = new CheckpointMoves();
    const stored = storedCheckpoint(5);
    stored.hold();

    const waiting = moves.waitFor('view', 10, MINUTE, stored.read, MINUTE);
    moves.moved('view', 10);
    stored.release();

    await expect(waiting).resolves.toBe(10);
    expect(stored.reads).toEqual([5]);
  });

  it('reads the checkpoint again every recheck interval, for a follower that runs in another instance', async () => {
    const stored = storedCheckpoint(5, 7, 10);

    await expect(new CheckpointMoves().waitFor('view', 10, MINUTE, stored.read, 1)).resolves.toBe(10);
    expect(stored.reads).toEqual([5, 7, 10]);
  });

  it('gives up at the deadline with the checkpoint short of the position', async () => {
    const moves = new CheckpointMoves();
    const stored = storedCheckpoint(5);

    await expect(moves.waitFor('view', 10, 0, stored.read, MINUTE)).resolves.toBe(5);
    const waiting = moves.waitFor('view', 10, 20, stored.read, MINUTE);
    moves.moved('view', 6);
    await expect(waiting).resolves.toBe(6);
  });
});
