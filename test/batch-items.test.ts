import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { isWorkmeshError } from '../src/errors/index.js';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, type ClaimedJob } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

// A batch is many items, not one: each batched script answers every item on its own, and one
// item's bad input fails that item alone (lua/lib/batch.lua, docs/protocol.md "Batches").
const QUEUE = 'noop';
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;
let blocking: Redis;
let subscriber: Redis;
let producer: Producer;
let consumer: StreamConsumer;
const published: [string, number, string][] = [];

before(async () => {
  redis = await startTestRedis();
  const log = createLogger('error');
  conn = connectRedis(redis.url, log, { name: 'batch-test' });
  blocking = connectRedis(redis.url, log, { name: 'batch-test-blocking', blocking: true });
  subscriber = connectRedis(redis.url, log, { name: 'batch-test-sub', blocking: true });
  subscriber.on('message', (_channel: string, message: string) =>
    published.push(...(JSON.parse(message) as [string, number, string][])),
  );
  await subscriber.subscribe(`wm:{${QUEUE}}:events`);
  producer = new Producer(conn, keys, 'api-test');
  consumer = new StreamConsumer(conn, blocking, keys, QUEUE, 'worker-test', {
    deadTtlSec: 3600,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
});
after(async () => {
  conn.disconnect();
  blocking.disconnect();
  subscriber.disconnect();
  await redis.stop();
});

async function enqueueAndClaim(n: number): Promise<ClaimedJob[]> {
  const made = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      producer.enqueue({ queue: QUEUE, data: { i }, resultTtlSec: 600, maxAttempts: 3 }),
    ),
  );
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  const order = made.map((m) => m.id);
  return jobs.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

/** Progress reported by several jobs in one turn: one flush of progress.lua. */
function progressInOneTurn(
  reports: [ClaimedJob, string][],
): Promise<PromiseSettledResult<boolean>[]> {
  // With nothing in flight the first call goes at once, alone: a warm-up call makes the
  // reports below wait for the end of the turn and go as one batch.
  const warmup = reports[0]![0];
  return Promise.all([
    consumer.progress(warmup, '"warm-up"'),
    Promise.allSettled(reports.map(([job, json]) => consumer.progress(job, json))),
  ]).then(([, settled]) => settled);
}

function refused(result: PromiseSettledResult<unknown> | undefined): boolean {
  return result?.status === 'rejected' && isWorkmeshError(result.reason, 'WM_ERR_JOB_ITEM_REFUSED');
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('one bad item of a batch fails that item alone', () => {
  for (const [name, bad] of [
    ['a lone surrogate', JSON.stringify('\ud800')],
    ['an array nested 1,000 deep', nested(1000)],
  ] as const) {
    it(`progress: ${name} fails its own report only; the reports before and after it are written and published, and every job still finishes`, async () => {
      const [before, culprit, after] = await enqueueAndClaim(3);
      published.length = 0;
      const results = await progressInOneTurn([
        [before!, JSON.stringify({ step: 1 })],
        [culprit!, bad],
        [after!, JSON.stringify({ step: 2 })],
      ]);
      assert.deepEqual(results[0], { status: 'fulfilled', value: true });
      assert.ok(
        refused(results[1]),
        `the bad report is refused on its own: ${String((results[1] as PromiseRejectedResult).reason)}`,
      );
      assert.deepEqual(results[2], { status: 'fulfilled', value: true });
      assert.equal(await redis.client.hget(keys.job(before!.id), 'progress'), '{"step":1}');
      assert.equal(await redis.client.hget(keys.job(after!.id), 'progress'), '{"step":2}');
      // Nothing of the bad item was written; the others' events went out.
      assert.equal(await redis.client.hget(keys.job(culprit!.id), 'progress'), null);
      const outcomes = await Promise.all(
        [before, culprit, after].map((job) =>
          consumer.finish(job!, { kind: 'done', json: '"ok"' }),
        ),
      );
      assert.deepEqual(outcomes, ['done', 'done', 'done']);
      // Events reach the subscriber on their own connection (on a cluster, over the bus).
      const progressEvents = await until(
        'the progress events of the good reports',
        () => published.filter(([, , status]) => status === 'progress').map(([id]) => id),
        (ids) => ids.includes(before!.id) && ids.includes(after!.id),
      );
      assert.ok(!progressEvents.includes(culprit!.id));
    });
  }

  it('finish: a malformed entry id or retryAt (a port writing the protocol by hand) fails that job alone; its batch-mates finish', async () => {
    const [first, badSid, badRetry, last] = await enqueueAndClaim(4);
    // A warm-up finish in flight, so the four below form one batch.
    const [warm] = await enqueueAndClaim(1);
    const warmup = consumer.finish(warm!, { kind: 'done', json: '1' });
    const results = await Promise.allSettled([
      consumer.finish(first!, { kind: 'done', json: '"a"' }),
      consumer.finish({ ...badSid!, sid: 'not-an-entry' }, { kind: 'done', json: '"b"' }),
      consumer.finish(badRetry!, { kind: 'error', error: 'x', retryAt: Number.NaN }),
      consumer.finish(last!, { kind: 'done', json: '"d"' }),
    ]);
    assert.equal(await warmup, 'done');
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'done' });
    assert.ok(refused(results[1]));
    assert.ok(refused(results[2]));
    assert.deepEqual(results[3], { status: 'fulfilled', value: 'done' });
    // The refused jobs are untouched: still pending, held by their worker, their entries kept.
    for (const job of [badSid!, badRetry!]) {
      assert.equal(await redis.client.hget(keys.job(job.id), 'status'), 'pending');
    }
    const pending = (await redis.client.xpending(keys.stream(QUEUE), 'workers')) as [number];
    assert.ok(pending[0] >= 2);
    // And they finish with good input.
    assert.equal(await consumer.finish(badSid!, { kind: 'done', json: '"b"' }), 'done');
    assert.equal(await consumer.finish(badRetry!, { kind: 'done', json: '"c"' }), 'done');
  });

  it('enqueue: a job whose runAt is not a number fails alone; its batch-mates are created', async () => {
    const first = producer.enqueue({ queue: QUEUE, data: 1, resultTtlSec: 60, maxAttempts: 1 });
    const results = await Promise.allSettled([
      producer.enqueue({ queue: QUEUE, data: 2, resultTtlSec: 60, maxAttempts: 1 }),
      producer.enqueue({
        queue: QUEUE,
        data: 3,
        resultTtlSec: 60,
        maxAttempts: 1,
        runAt: Number.NaN,
      }),
      producer.enqueue({ queue: QUEUE, data: 4, resultTtlSec: 60, maxAttempts: 1 }),
    ]);
    assert.equal((await first).created, true);
    assert.equal(results[0].status === 'fulfilled' && results[0].value.created, true);
    assert.ok(refused(results[1]), String((results[1] as PromiseRejectedResult).reason));
    assert.equal(results[2].status === 'fulfilled' && results[2].value.created, true);
  });
});
