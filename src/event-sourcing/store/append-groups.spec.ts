import { jest } from '@jest/globals';
import { AppendGroups, type GroupLimits } from './append-groups.js';

interface Item {
  name: string;
  request: { streamId: string; events: unknown[] };
}

const item = (name: string, streamId = name, events = 1): Item => ({
  name,
  request: { streamId, events: Array(events).fill({}) },
});

/** Groups as sent, each answered only when the test says so. */
function harness(limits: Partial<GroupLimits> = {}) {
  const sent: string[][] = [];
  const answers: ((outcome?: Error) => void)[] = [];
  const groups = new AppendGroups<Item, string>(
    { inFlight: 2, appends: 64, events: 1000, large: 1000, waitMs: 0, ...limits },
    (group) => {
      sent.push(group.map((i) => i.name));
      return new Promise((resolve, reject) =>
        answers.push((error) =>
          error ? reject(error) : resolve(group.map((i) => ({ status: 'fulfilled', value: `${i.name} done` }))),
        ),
      );
    },
  );
  const answer = async (group: number, error?: Error) => {
    answers[group](error);
    // The answer's callbacks, then the freed slot's turn.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { groups, sent, answer };
}

describe('AppendGroups', () => {
  it('sends an append at once while fewer groups are out, and what waited as one group when one comes back', async () => {
    const { groups, sent, answer } = harness();
    const results = ['a', 'b', 'c', 'd', 'e'].map((name) => groups.append(item(name)));
    expect(sent).toEqual([['a'], ['b']]);

    await answer(0);
    expect(sent).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    await answer(1);
    await answer(2);
    expect(await Promise.all(results)).toEqual(['a done', 'b done', 'c done', 'd done', 'e done']);
  });

  it('holds a later append of a stream, and every one after it of that stream, for the next group', async () => {
    const { groups, sent, answer } = harness({ inFlight: 1 });
    for (const [name, stream] of [
      ['busy', 'x'],
      ['x1', 'x'],
      ['y1', 'y'],
      ['x2', 'x'],
      ['z1', 'z'],
    ]) {
      void groups.append(item(name, stream));
    }
    await answer(0);
    expect(sent[1]).toEqual(['x1', 'y1', 'z1']);
    await answer(1);
    expect(sent[2]).toEqual(['x2']);
  });

  it('holds an append of a stream that has one out, even with a slot free, until that one is answered', async () => {
    const { groups, sent, answer } = harness();
    const first = groups.append(item('x1', 'x'));
    const second = groups.append(item('x2', 'x'));
    void groups.append(item('y1', 'y'));
    expect(sent).toEqual([['x1'], ['y1']]);

    await answer(0);
    expect(await first).toBe('x1 done');
    expect(sent).toEqual([['x1'], ['y1'], ['x2']]);
    await answer(2);
    expect(await second).toBe('x2 done');
  });

  it('caps a group by appends and by events; an append above the event cap goes alone', async () => {
    const { groups, sent, answer } = harness({ inFlight: 1, appends: 3, events: 10 });
    void groups.append(item('first'));
    for (const [name, events] of [
      ['a', 4],
      ['b', 4],
      ['c', 4],
      ['big', 20],
      ['d', 1],
      ['e', 1],
      ['f', 1],
      ['g', 1],
    ] as const) {
      void groups.append(item(name, name, events));
    }
    for (let group = 0; group < 4; group++) await answer(group);
    // c does not fit beside a and b; d, smaller, does: only appends of one stream keep their order.
    expect(sent).toEqual([['first'], ['a', 'b', 'd'], ['c', 'e', 'f'], ['big'], ['g']]);
  });

  it('sends a large append at once whatever is in flight, unless an append of its stream waits', async () => {
    const { groups, sent, answer } = harness({ inFlight: 1, large: 10 });
    void groups.append(item('a'));
    void groups.append(item('x1', 'x'));
    const large = groups.append(item('large', 'y', 10));
    void groups.append(item('x2', 'x', 10));
    expect(sent).toEqual([['a'], ['large']]);
    await answer(1);
    expect(await large).toBe('large done');
    await answer(0);
    expect(sent).toEqual([['a'], ['large'], ['x1']]);
    await answer(2);
    expect(sent[3]).toEqual(['x2']);
  });

  it('holds a large append of a stream that has one out, and an append of a stream whose large append is out', async () => {
    const { groups, sent, answer } = harness({ inFlight: 2, large: 10 });
    void groups.append(item('x1', 'x'));
    void groups.append(item('large x', 'x', 10));
    void groups.append(item('large y', 'y', 10));
    void groups.append(item('y2', 'y'));
    expect(sent).toEqual([['x1'], ['large y']]);

    await answer(1);
    expect(sent).toEqual([['x1'], ['large y'], ['y2']]);
    await answer(0);
    expect(sent).toEqual([['x1'], ['large y'], ['y2'], ['large x']]);
  });

  it('fails every append of a group whose send failed, and sends the next group', async () => {
    const { groups, sent, answer } = harness({ inFlight: 1 });
    const first = groups.append(item('a'));
    const waiting = [groups.append(item('b')), groups.append(item('c'))];
    await answer(0, new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    expect(sent[1]).toEqual(['b', 'c']);
    await answer(1);
    expect(await Promise.all(waiting)).toEqual(['b done', 'c done']);
  });

  it('fails an append that waited past waitMs as pg-pool fails a connect, and leaves those sent alone', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const { groups, sent } = harness({ inFlight: 1, waitMs: 1000 });
      let sentSettled = false;
      void groups.append(item('a')).finally(() => (sentSettled = true));
      const waiting = groups.append(item('b'));
      const failed = expect(waiting).rejects.toThrow('timeout exceeded when trying to connect');
      jest.advanceTimersByTime(1000);
      await failed;
      expect(sent).toEqual([['a']]);
      expect(sentSettled).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
