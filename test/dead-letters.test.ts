import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { redisSources } from '../src/metrics/sources.js';
import { readClusterSnapshot } from '../src/monitor/index.js';
import {
  Producer,
  StreamConsumer,
  listDead,
  reviveDead,
  type ClaimedJob,
} from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

// Dead letters expire (deadTtlSec) but their ids used to stay in the dead set: counted by the
// metric, the monitor and the alert, and blocking "retry all" once 500 of them sat at the
// oldest end. The set is now pruned of expired letters (prune-dead.lua).
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;
let blocking: Redis;
let producer: Producer;

before(async () => {
  redis = await startTestRedis();
  const log = createLogger('error');
  conn = connectRedis(redis.url, log, { name: 'dead-test' });
  blocking = connectRedis(redis.url, log, { name: 'dead-test-blocking', blocking: true });
  producer = new Producer(conn, keys, 'api-test');
});
after(async () => {
  conn.disconnect();
  blocking.disconnect();
  await redis.stop();
});

/** n jobs that fail for good on a worker keeping dead letters deadTtlSec; answers their ids. */
async function killJobs(queue: string, n: number, deadTtlSec: number): Promise<string[]> {
  const consumer = new StreamConsumer(conn, blocking, keys, queue, 'dead-test', {
    deadTtlSec,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      producer.enqueue({ queue: queue, data: { i }, resultTtlSec: 600, maxAttempts: 1 }),
    ),
  );
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  const results = await Promise.all(
    jobs.map((job) => consumer.finish(job, { kind: 'fatal', error: 'boom' })),
  );
  assert.ok(results.every((r) => r === 'failed'));
  return jobs.map((j) => j.id);
}

describe('dead letters whose record expired', () => {
  it('leave the dead set: the count, the metric, the monitor and the dead list see the live ones only', async () => {
    const expired = await killJobs('noop', 600, 1);
    await until(
      'the 600 short-lived dead letters to expire',
      async () => (await Promise.all(expired.map((id) => conn.exists(keys.job(id))))).some(Boolean),
      (anyLeft) => !anyLeft,
      30_000,
      200,
    );
    const live = await killJobs('noop', 3, 3600);
    assert.equal(await conn.zcard(keys.dead('noop')), 603, 'the expired ids are still in the set');

    const depth = await redisSources(conn, keys, () => ['noop']).queueDepth!();
    assert.deepEqual(
      depth.find((d) => d.state === 'dead'),
      { type: 'noop', state: 'dead', count: 3 },
      'the metric counts live letters',
    );
    const snapshot = await readClusterSnapshot(conn, keys, ['noop']);
    assert.equal(snapshot.queues.find((q) => q.queue === 'noop')?.dead, 3);
    assert.equal(await conn.zcard(keys.dead('noop')), 3, 'pruned');
    const page = await listDead(conn, keys, 'noop', 0, 10);
    assert.equal(page.total, 3);
    assert.deepEqual(page.jobs.map((j) => j.callback).sort(), [...live].sort());
  });

  it('"retry all" goes past a first batch of 500 that revives nothing', async () => {
    // Expired ids left in the set by an older version (or pruned since by nobody): their
    // records are gone, as after deadTtlSec.
    const stale = await killJobs('retry', 600, 3600);
    const live = await killJobs('retry', 2, 3600);
    await conn.del(...stale.map((id) => keys.job(id)));
    assert.equal(await reviveDead(conn, keys, 'retry'), 2);
    for (const id of live) assert.equal(await conn.hget(keys.job(id), 'status'), 'accepted');
    assert.equal(await conn.zcard(keys.dead('retry')), 0);
  });

  it('a worker prunes the set of its queue by itself (promote), read or not', async () => {
    const stale = await killJobs('pruned', 150, 3600);
    await conn.del(...stale.map((id) => keys.job(id)));
    const consumer = new StreamConsumer(conn, blocking, keys, 'pruned', 'pruner', {
      deadTtlSec: 3600,
      maxRecoveries: 2,
    });
    await consumer.promote();
    assert.equal(await conn.zcard(keys.dead('pruned')), 0);
  });
});
