import { runPool } from '../../src/bulk/pool';

/** A worker whose calls the test finishes one by one, in any order. */
const controlled = () => {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const worker = (item: number) =>
    new Promise<void>((resolve) => {
      started.push(item);
      finish.set(item, resolve);
    });
  return { started, finish, worker };
};

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('runPool', () => {
  it('keeps at most `concurrency` items in flight, starting the next as one finishes', async () => {
    const { started, finish, worker } = controlled();
    const done = runPool([1, 2, 3, 4, 5], 2, worker, () => false, fail);
    await turn();
    expect(started).toEqual([1, 2]);
    finish.get(2)!();
    await turn();
    expect(started).toEqual([1, 2, 3]);
    finish.get(1)!();
    finish.get(3)!();
    await turn();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    finish.get(4)!();
    finish.get(5)!();
    await done;
  });

  it('once stop() says so, hands every item not yet started to `skipped`, in order', async () => {
    const worked: number[] = [];
    const skipped: number[] = [];
    await runPool(
      [1, 2, 3, 4, 5, 6],
      2,
      async (item) => {
        worked.push(item);
      },
      () => worked.length >= 3,
      (item) => skipped.push(item),
    );
    expect(worked).toEqual([1, 2, 3]);
    expect(skipped).toEqual([4, 5, 6]);
  });

  it('runs one lane for a concurrency below 1; each item runs once, whatever the concurrency', async () => {
    const { started, finish, worker } = controlled();
    const one = runPool([1, 2], 0, worker, () => false, fail);
    await turn();
    expect(started).toEqual([1]);
    finish.get(1)!();
    await turn();
    finish.get(2)!();
    await one;
    let calls = 0;
    await runPool(
      [7],
      10,
      async () => void (calls += 1),
      () => false,
      fail,
    );
    expect(calls).toBe(1);
    await runPool(
      [],
      3,
      async () => fail(0),
      () => false,
      fail,
    );
  });

  it('a worker that fails rejects the pool', async () => {
    await expect(
      runPool(
        [1],
        1,
        async () => Promise.reject(new Error('boom')),
        () => false,
        fail,
      ),
    ).rejects.toThrow('boom');
  });
});

function fail(item: number): never {
  throw new Error(`unexpected call for ${item}`);
}
