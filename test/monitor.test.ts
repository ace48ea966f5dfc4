import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { CounterRates, Monitor, percentile, type QueueFigures } from '../src/monitor/index.js';
import { Producer, StreamConsumer } from '../src/queue/index.js';
import { Keys } from '../src/redis/index.js';
import { startTestNode } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

function queue(name: string, accepted: number, done: number, failed: number): QueueFigures {
  return { queue: name, waiting: 0, active: 0, delayed: 0, dead: 0, accepted, done, failed };
}

describe('monitor arithmetic', () => {
  it('rates come from counter differences; the first read and a reset give 0', () => {
    const rates = new CounterRates();
    assert.equal(rates.update([queue('a', 10, 5, 1)], 1000).perQueue.get('a'), 0);
    const second = rates.update([queue('a', 30, 25, 3)], 3000);
    assert.equal(second.perQueue.get('a'), 11); // (20 done + 2 failed) / 2 s
    assert.deepEqual(second.total, { acceptedPerSec: 10, donePerSec: 10, failedPerSec: 1 });
    assert.equal(rates.update([queue('a', 0, 0, 0)], 4000).perQueue.get('a'), 0);
  });

  it('percentiles by nearest rank', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([5], 95), 5);
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 95), 95);
  });
});

describe('Monitor against a real Redis', () => {
  let redis: TestRedis;
  before(async () => (redis = await startTestRedis()));
  after(async () => redis.stop());

  it('sees members, queue depth, job events, throughput and latency', async () => {
    const node = await startTestNode(redis.url);
    const keys = new Keys('wm');
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const monitor = new Monitor({
      redis: conn,
      subscriber: new Redis(redis.url, { maxRetriesPerRequest: null }),
      keys,
      nodeId: node.id,
      node,
      queueNames: ['permute'],
      intervalMs: 100,
      log: createLogger('silent'),
    });
    await monitor.start();
    let blocking: Redis | undefined;
    try {
      assert.deepEqual(
        monitor.snapshot().nodes.map((n) => n.id),
        [node.id],
      );
      const producer = new Producer(conn, keys, 'api-test');
      const ids = await Promise.all(
        [1, 2, 3].map(async (i) => {
          const job = { queue: 'permute', data: `x${i}`, resultTtlSec: 60, maxAttempts: 1 };
          return (await producer.enqueue(job)).id;
        }),
      );
      await until(
        '3 waiting',
        () => monitor.snapshot().queues[0]?.waiting,
        (n) => n === 3,
      );
      blocking = conn.duplicate();
      const consumer = new StreamConsumer(conn, blocking, keys, 'permute', 'w-test', {
        deadTtlSec: 60,
        maxRecoveries: 2,
      });
      await consumer.ensureGroup();
      for (const job of await consumer.claimOrWait(3, 100))
        await consumer.finish(job, { kind: 'done', json: '"ok"' });
      const s = await until(
        'the jobs done, seen as events and in the rates',
        () => monitor.snapshot(),
        (x) =>
          x.queues[0]?.done === 3 &&
          ids.every((id) => x.recentJobs.some((r) => r.id === id && r.status === 'done')) &&
          x.history.throughput.some((p) => p.donePerSec > 0 && p.latencyP50Ms !== null),
      );
      assert.equal(s.queues[0]?.waiting, 0);
      assert.ok((s.history.nodes[node.id]?.length ?? 0) >= 1);
    } finally {
      await monitor.stop();
      await node.stop();
      conn.disconnect();
      blocking?.disconnect();
    }
  });
});
