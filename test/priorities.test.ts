import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { starts } from './helpers/controls.js';
import { ROOT, startWorkerProcess, stopAll, stopProcess } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

// Issue 19, priorities: higher first, FIFO within a priority, strict (docs/queues.md).
const JOBS = join(ROOT, 'test/fixtures/controls.ts');
const dir = tempDir('priorities');
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;

before(async () => {
  redis = await startTestRedis();
  conn = connectRedis(redis.url, createLogger('silent'), { name: 'priorities-test' });
});
after(async () => {
  await stopAll();
  conn?.disconnect();
  await redis.stop();
});

describe('priorities', () => {
  it('1,000 jobs of mixed priorities, one worker at concurrency 1: higher first, FIFO within each', async () => {
    const file = join(dir, 'order.log');
    const producer = new Producer(conn, keys, 'test');
    // Priorities -10..10, 0 (plain) among them; a few plain jobs queued first, in the stream,
    // before the queue is gated: they keep their place at the head of priority 0.
    const plainFirst = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        producer.enqueue({
          queue: 'prio',
          data: { file, tag: `0:${i}` },
          resultTtlSec: 600,
          maxAttempts: 1,
        }),
      ),
    );
    const jobs: { id: string; priority: number; seq: number }[] = plainFirst.map((e, i) => ({
      id: e.id,
      priority: 0,
      seq: i,
    }));
    const priorities = Array.from({ length: 995 }, (_, i) => ((i * 7919) % 21) - 10);
    const enqueued = await Promise.all(
      priorities.map((priority, i) =>
        producer.enqueue({
          queue: 'prio',
          data: { file, tag: `${priority}:${i + 5}` },
          resultTtlSec: 600,
          maxAttempts: 1,
          priority,
        }),
      ),
    );
    enqueued.forEach((e, i) => jobs.push({ id: e.id, priority: priorities[i]!, seq: i + 5 }));
    assert.equal(await conn.hget(keys.controls('prio'), 'gated'), '1');

    const worker = startWorkerProcess(redis.url, {
      WORKMESH_JOBS: JOBS,
      WORKMESH_TYPES: 'prio',
      WORKMESH_CONCURRENCY: '1',
    });
    await worker.ready;
    await until(
      'all 1,000 started',
      () => starts(file).length,
      (n) => n === 1000,
      60_000,
      100,
    );
    const expected = [...jobs]
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
      .map((j) => j.id);
    assert.deepEqual(
      starts(file).map((s) => s.id),
      expected,
    );
    // Nothing left waiting, and the gate opened again once the waiting set was empty.
    await until(
      'the queue ungated',
      () => conn.hget(keys.controls('prio'), 'gated'),
      (g) => g === null,
    );
    await stopProcess(worker);
  });

  it('a priority out of range or a bad group is refused for that job alone, nothing stored', async () => {
    const producer = new Producer(conn, keys, 'test');
    const good = producer.enqueue({
      queue: 'prio',
      data: {},
      resultTtlSec: 60,
      maxAttempts: 1,
      priority: 3,
    });
    const bad = producer.enqueue({
      queue: 'prio',
      data: {},
      resultTtlSec: 60,
      maxAttempts: 1,
      priority: 11,
    });
    const badGroup = producer.enqueue({
      queue: 'prio',
      data: {},
      resultTtlSec: 60,
      maxAttempts: 1,
      group: 'a b',
    });
    const [g, b, bg] = await Promise.allSettled([good, bad, badGroup]);
    assert.equal(g.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.equal(bg.status, 'rejected');
    assert.equal(await conn.zcard(keys.waiting('prio')), 1);
  });
});
