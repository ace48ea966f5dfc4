import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, type ClaimedJob } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

// The queue's own classes against a real Redis: the orders and invariants the worker's speed
// relies on (docs/protocol.md), without a worker process around them.
const QUEUE = 'noop';
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;
let blocking: Redis;
let producer: Producer;
let consumer: StreamConsumer;

before(async () => {
  redis = await startTestRedis();
  const log = createLogger('error');
  conn = connectRedis(redis.url, log, { name: 'consumer-test' });
  blocking = connectRedis(redis.url, log, { name: 'consumer-test-blocking', blocking: true });
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
  await redis.stop();
});

/** Connections of this file's consumer blocked in Redis in a stream read (CLIENT LIST). */
async function blockedReads(): Promise<number> {
  const servers = ON_CLUSTER
    ? (redis.client as unknown as Cluster).nodes('master')
    : [redis.client];
  const lists = await Promise.all(servers.map((r) => r.client('LIST') as Promise<string>));
  return lists
    .flatMap((list) => list.split('\n'))
    .filter(
      (line) =>
        / name=consumer-test-blocking /.test(line) &&
        / flags=\w*b/.test(line) &&
        / cmd=xread(group)? /.test(line),
    ).length;
}

async function enqueue(n: number): Promise<string[]> {
  const made = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      producer.enqueue({ queue: QUEUE, data: { i }, resultTtlSec: 600, maxAttempts: 3 }),
    ),
  );
  return made.map((m) => m.id);
}

async function claimAll(n: number): Promise<ClaimedJob[]> {
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  return jobs;
}

describe('queue consumer', () => {
  it('progress reported just before the outcome is written before it (the last value is kept)', async () => {
    const [id] = await enqueue(1);
    const [job] = await claimAll(1);
    assert.equal(job!.id, id);
    // One turn: the first goes at once, the others wait for the turn's end, the outcome must
    // not overtake them (a done job refuses progress).
    const reports = [1, 2, 3].map((step) => consumer.progress(job!, JSON.stringify({ step })));
    const result = await consumer.finish(job!, { kind: 'done', json: '"ok"' });
    assert.equal(result, 'done');
    assert.deepEqual(await Promise.all(reports), [true, true, true]);
    assert.equal(await redis.client.hget(keys.job(id!), 'progress'), '{"step":3}');
  });

  it('finished entries leave the stream, in order or not, and nothing else does', async () => {
    const ids = await enqueue(6);
    const jobs = await claimAll(6);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [...ids].sort());
    const stream = keys.stream(QUEUE);
    const done = (js: ClaimedJob[]) =>
      Promise.all(js.map((j) => consumer.finish(j, { kind: 'done', json: '"ok"' })));
    // The newest first, while the oldest still run: those are deleted one by one.
    await done(jobs.slice(3));
    assert.equal(await redis.client.xlen(stream), 3);
    assert.deepEqual(
      (await redis.client.xrange(stream, '-', '+')).map(([sid]) => sid),
      jobs.slice(0, 3).map((j) => j.sid),
    );
    // A job added now waits in the stream while the rest finish (trimmed below it).
    const [late] = await enqueue(1);
    await done(jobs.slice(0, 3));
    const left = await redis.client.xrange(stream, '-', '+');
    assert.deepEqual(
      left.map(([, fields]) => fields[1]),
      [late],
    );
    const [lateJob] = await claimAll(1);
    assert.equal(lateJob!.id, late);
    await done([lateJob!]);
    assert.equal(await redis.client.xlen(stream), 0);
    assert.equal(((await redis.client.xpending(stream, 'workers')) as [number])[0], 0);
  });

  it('a job added while the worker waits is claimed, data and all, when the wait ends', async () => {
    // The queue is empty: the read waits on the blocking connection with its claim behind it.
    assert.deepEqual(await consumer.claimOrWait(10, 50), []);
    const waiting = consumer.claimOrWait(10, 5000);
    // Inside the wait for sure: Redis shows the blocking connection blocked (flags b) in its
    // read. Were the job added before, a claim without waiting would take it, and this test
    // would not test a claim behind a wait.
    await until(
      'the read blocked in Redis',
      () => blockedReads(),
      (n) => n === 1,
    );
    const [id] = await enqueue(1);
    const jobs = await waiting;
    assert.deepEqual(
      jobs.map((j) => ({ id: j.id, data: j.data, attempt: j.attempt })),
      [{ id, data: { i: 0 }, attempt: 1 }],
    );
    const record = await redis.client.hgetall(keys.job(id!));
    assert.equal(record.status, 'pending');
    assert.ok(Math.abs(Number(record.startedAt) - Date.now()) < 5000, 'started at the time it ran');
    await consumer.finish(jobs[0]!, { kind: 'done', json: '"ok"' });
  });

  it('a poison job failed by the claim still gets its webhook scheduled (the final keys come last)', async () => {
    // Data too large for its entry to carry (enqueue.lua): the claim reads the record, as it
    // does for a job taken over (a takeover is an event: never a carried entry's first start).
    const { id } = await producer.enqueue({
      queue: QUEUE,
      data: { poison: true, pad: 'x'.repeat(600) },
      resultTtlSec: 600,
      maxAttempts: 3,
      webhook: 'http://127.0.0.1:9/hook',
    });
    // Taken over more often than the worker allows: the claim fails it as poison.
    await conn.hset(keys.job(id), 'recoveries', 5);
    const claimed = await consumer.claimNow(10);
    for (const job of claimed.jobs) await consumer.finish(job, { kind: 'done', json: '1' });
    assert.ok(!claimed.jobs.some((j) => j.id === id), 'the poison job is not run');
    assert.equal(await conn.hget(keys.job(id), 'status'), 'failed');
    assert.notEqual(await conn.zscore(keys.webhooks(QUEUE), id), null, 'its webhook is due');
    assert.notEqual(await conn.zscore(keys.dead(QUEUE), id), null, 'it is a dead letter');
  });

  it('the entry of a small job carries its data and options; a large one names only the id', async () => {
    const small = await producer.enqueue({
      queue: QUEUE,
      data: { small: true },
      resultTtlSec: 600,
      maxAttempts: 3,
    });
    const large = await producer.enqueue({
      queue: QUEUE,
      data: { large: 'y'.repeat(600) },
      resultTtlSec: 600,
      maxAttempts: 3,
    });
    const entries = await conn.xrange(keys.stream(QUEUE), '-', '+');
    const fieldsOf = (id: string) => entries.find(([, f]) => f[1] === id)?.[1];
    assert.deepEqual(fieldsOf(small.id), ['id', small.id, 'd', '{"small":true}', 'o', '{}']);
    assert.deepEqual(fieldsOf(large.id), ['id', large.id]);
    const claimed = await consumer.claimNow(10);
    assert.deepEqual(
      claimed.jobs.map((j) => ({ id: j.id, data: j.data, attempt: j.attempt })),
      [
        { id: small.id, data: { small: true }, attempt: 1 },
        { id: large.id, data: { large: 'y'.repeat(600) }, attempt: 1 },
      ],
    );
    for (const id of [small.id, large.id]) {
      const record = await conn.hgetall(keys.job(id));
      assert.equal(record.status, 'pending');
      assert.equal(record.attempts, '1');
      assert.equal(record.workedBy, 'worker-test');
      assert.equal(record.ev, '2');
      assert.equal(record.events, undefined, 'the implicit log');
    }
    for (const job of claimed.jobs) await consumer.finish(job, { kind: 'done', json: '1' });
  });

  it('a carried entry whose job changed or went while it was queued is not started from the entry', async () => {
    const [changed, gone] = await enqueue(2);
    // Anything that happens to a queued job is an event (ev counts): here a cancel written
    // as a process that leaves the entry in the stream would. The record stays as it is.
    await conn.hset(keys.job(changed!), 'status', 'cancelled', 'ev', 2);
    await conn.del(keys.job(gone!));
    const claimed = await consumer.claimNow(10);
    assert.deepEqual(claimed.jobs, [], 'neither runs');
    assert.equal(await conn.hget(keys.job(changed!), 'status'), 'cancelled');
    assert.equal(await conn.hget(keys.job(changed!), 'ev'), '2');
    assert.equal(await conn.exists(keys.job(gone!)), 0, 'no record made up for the gone job');
    assert.equal(await conn.xlen(keys.stream(QUEUE)), 0, 'both entries left the stream');
  });

  it('an entry without an id (written by something else) is dropped, and its batch-mates run', async () => {
    await conn.xadd(keys.stream(QUEUE), '*', 'x', 'y', 'd', '{}', 'o', '{}');
    const [id] = await enqueue(1);
    const claimed = await consumer.claimNow(10);
    assert.deepEqual(
      claimed.jobs.map((j) => j.id),
      [id],
    );
    // claim.lua acknowledges and deletes it; on a Redis Cluster (start.lua) it stays pending.
    if (!ON_CLUSTER)
      assert.equal(await conn.xlen(keys.stream(QUEUE)), 1, 'only the entry of the job is left');
    await consumer.finish(claimed.jobs[0]!, { kind: 'done', json: '1' });
  });

  it(
    'a queue gated just after a claim that did not look at the flag is seen before the worker waits',
    {
      skip: ON_CLUSTER && 'claim.lua is not used on a cluster',
    },
    async () => {
      // Claims look at `gated` at most every 250 ms (GATED_RECHECK_MS): the second claim here
      // does not. Its queue looks empty; a job with a priority then gates the queue and signals
      // it before the worker's wait begins. The wait must not begin blind: it would sleep its
      // whole blockMs (60 s) with a job waiting.
      const queue = 'gated-late';
      const other = new StreamConsumer(conn, blocking, keys, queue, 'worker-gated', {
        deadTtlSec: 3600,
        maxRecoveries: 2,
      });
      await other.ensureGroup();
      assert.equal((await other.claimNow(10)).read, 0);
      assert.equal((await other.claimNow(10)).read, 0);
      const { id } = await new Producer(conn, keys, 'api-other').enqueue({
        queue,
        data: {},
        resultTtlSec: 600,
        maxAttempts: 1,
        priority: 5,
      });
      const claimed = await Promise.race([
        other.claimOrWait(10, 60_000),
        new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 20_000).unref()),
      ]);
      assert.notEqual(claimed, 'stuck', 'the worker waited blind on a gated queue');
      assert.deepEqual(
        (claimed as ClaimedJob[]).map((j) => j.id),
        [id],
      );
    },
  );
});
