import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnBatcher } from '../src/queue/index.js';

describe('TurnBatcher', () => {
  it('sends a call at once when idle, and groups the calls made meanwhile into one flush, answering each in order', async () => {
    const flushes: number[][] = [];
    const b = new TurnBatcher<number, number>(async (items) => {
      flushes.push([...items]);
      return items.map((i) => i * 10);
    });
    const answers = await Promise.all([1, 2, 3, 4].map((i) => b.add(i)));
    assert.deepEqual(answers, [10, 20, 30, 40]);
    assert.deepEqual(flushes, [[1], [2, 3, 4]]);
    assert.equal(await b.add(5), 50);
    assert.deepEqual(flushes, [[1], [2, 3, 4], [5]]);
  });

  it('splits at the batch limit', async () => {
    const sizes: number[] = [];
    const b = new TurnBatcher<number, number>(async (items) => {
      sizes.push(items.length);
      return [...items];
    }, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.add(i)));
    assert.deepEqual(sizes, [1, 4, 4, 1]);
  });

  it('an Error in the place of an item rejects that caller alone; its batch-mates get their answers', async () => {
    const b = new TurnBatcher<number, number>(async (items) =>
      items.map((i) => (i === 3 ? new Error('bad item 3') : i * 10)),
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => b.add(i)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [10, 20, 'bad item 3', 40],
    );
  });

  it('rejects every caller of a failed flush, and keeps working after', async () => {
    let fail = true;
    const b = new TurnBatcher<number, number>(async (items) => {
      if (fail) throw new Error('down');
      return [...items];
    });
    const results = await Promise.allSettled([b.add(1), b.add(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    fail = false;
    assert.equal(await b.add(3), 3);
  });

  it('drain waits for flushes in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let flushed = false;
    const b = new TurnBatcher<number, number>(async (items) => {
      await gate;
      flushed = true;
      return [...items];
    });
    const p = b.add(1);
    const drained = b.drain();
    setTimeout(release, 10);
    await drained;
    assert.equal(flushed, true);
    assert.equal(await p, 1);
  });
});
