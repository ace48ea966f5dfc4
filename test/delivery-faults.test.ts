import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { defineJob } from '../src/jobs/index.js';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, requeueHeldBy, type ClaimedJob } from '../src/queue/index.js';
import { GROUP, Keys, connectRedis } from '../src/redis/index.js';
import { QueueProcessor } from '../src/worker/queue-processor.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { startWorkerProcess } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

// Faults of the delivery path (issue 16, items 4 and 11), each against a real Redis.
const keys = new Keys('wm');
const log = createLogger('silent');
const LIMITS = { deadTtlSec: 3600, maxRecoveries: 2 };
let redis: TestRedis;
let conn: Redis;
let producer: Producer;
const connections: Redis[] = [];

before(async () => {
  redis = await startTestRedis();
  conn = connection('faults-test');
  producer = new Producer(conn, keys, 'api-test');
});
after(async () => {
  for (const c of connections) c.disconnect();
  await redis.stop();
});

function connection(name: string, blocking = false): Redis {
  const c = connectRedis(redis.url, log, { name, blocking });
  connections.push(c);
  return c;
}

async function consumerFor(queue: string, name: string): Promise<StreamConsumer> {
  const c = new StreamConsumer(conn, connection(`${name}-b`, true), keys, queue, name, LIMITS);
  await c.ensureGroup();
  return c;
}

function enqueue(queue: string, data: unknown, id?: string): Promise<string> {
  return producer
    .enqueue({ queue: queue, data, resultTtlSec: 600, maxAttempts: 3, ...(id ? { id } : {}) })
    .then((e) => e.id);
}

async function claimAll(consumer: StreamConsumer, n: number): Promise<ClaimedJob[]> {
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  return jobs;
}

async function consumerNames(queue: string): Promise<string[]> {
  const stream = keys.stream(queue);
  if ((await redis.client.exists(stream)) === 0) return [];
  const consumers = (await redis.client.xinfo('CONSUMERS', stream, GROUP)) as string[][];
  return consumers.map((c) => c[c.indexOf('name') + 1]!);
}

describe('delivery faults', () => {
  it('a gone node reconnecting and claiming its requeued entry right before its consumer is removed: the entry stays pending (check and delete in one step)', async () => {
    const queue = 'dropq';
    const gone = await consumerFor(queue, 'node-gone');
    const [id] = [await enqueue(queue, { n: 1 })];
    await claimAll(gone, 1);
    // The reaper's connection: right before it removes the consumer (on every version, the
    // step after the requeue script), the node, wrongly declared gone, claims the requeued
    // entry with its re-sent read.
    const reaper = connection('faults-reaper');
    let evals = 0;
    let injected = false;
    const send = reaper.sendCommand.bind(reaper);
    reaper.sendCommand = (command: { name: string }) => {
      const name = command.name.toLowerCase();
      if (name === 'evalsha' || name === 'eval') evals += 1;
      const afterRequeue = evals > 1 || (evals === 1 && name !== 'evalsha' && name !== 'eval');
      if (!injected && afterRequeue && name !== 'xpending') {
        injected = true;
        return gone.claimNow(1).then(() => send(command as never));
      }
      return send(command as never);
    };
    assert.equal(await requeueHeldBy(reaper, keys, queue, 'node-gone'), 1);
    assert.ok(injected);
    const state = await redis.client.hgetall(keys.job(id));
    assert.equal(state.status, 'pending', 'the node took it again');
    const held = (await redis.client.xpending(
      keys.stream(queue),
      GROUP,
      '-',
      '+',
      10,
      'node-gone',
    )) as [string][];
    assert.deepEqual(
      held.map((h) => h[0]),
      [state.sid],
      'its entry is still pending: it can be taken over if the node dies',
    );
  });

  it('requeue of an entry that is not the job current one (the job was re-created and runs elsewhere): released, not requeued', async () => {
    const queue = 'staleq';
    const first = await consumerFor(queue, 'node-old');
    const second = await consumerFor(queue, 'node-new');
    const id = `${queue}.AAAAAAAAAAAAAAAA`;
    await enqueue(queue, { n: 1 }, id);
    await claimAll(first, 1);
    // The record expires (resultTtlSec) or is purged; the same id is submitted again.
    await redis.client.del(keys.job(id));
    await enqueue(queue, { n: 2 }, id);
    const [rerun] = await claimAll(second, 1);
    assert.equal(rerun!.id, id);
    assert.equal(await requeueHeldBy(conn, keys, queue, 'node-old'), 0);
    const state = await redis.client.hgetall(keys.job(id));
    assert.equal(state.status, 'pending');
    assert.equal(state.workedBy, 'node-new');
    assert.equal(state.sid, rerun!.sid);
    assert.equal(await redis.client.xlen(keys.stream(queue)), 1, 'no second entry to run it');
  });

  it('a carried entry left behind by a record deleted and made again under the same id: only the current entry runs, with the new data', async () => {
    const queue = 'staleq2';
    const worker = await consumerFor(queue, 'node-one');
    const id = `${queue}.BBBBBBBBBBBBBBBB`;
    await enqueue(queue, { n: 1 }, id);
    // The record goes while its entry waits unread (only by hand: a queued job never
    // expires); the same id is submitted again, with other data and an entry of its own.
    await redis.client.del(keys.job(id));
    await enqueue(queue, { n: 2 }, id);
    const claimed = await worker.claimNow(10);
    assert.deepEqual(
      claimed.jobs.map((j) => ({ id: j.id, data: j.data, attempt: j.attempt })),
      [{ id, data: { n: 2 }, attempt: 1 }],
    );
    const state = await redis.client.hgetall(keys.job(id));
    assert.equal(state.sid, claimed.jobs[0]!.sid, 'the current entry');
    assert.equal(state.recoveries, undefined, 'no takeover counted');
    assert.equal(await redis.client.xlen(keys.stream(queue)), 1, 'the stale entry left');
    await worker.finish(claimed.jobs[0]!, { kind: 'done', json: '1' });
  });

  it('a job whose data is not JSON (another producer) fails alone, with a clear error; its batch-mates run', async () => {
    const queue = 'badq';
    const ids = [await enqueue(queue, 1), await enqueue(queue, 2), await enqueue(queue, 3)];
    // Written as another producer could: the record's data, and the data its entry carries
    // (docs/protocol.md, "Carried entries"), neither JSON.
    await redis.client.hset(keys.job(ids[1]!), 'data', '{not json');
    const entry = (await redis.client.xrange(keys.stream(queue), '-', '+')).find(
      ([, f]) => f[1] === ids[1],
    );
    const [sid, fields] = entry!;
    assert.equal(fields[2], 'd', 'a carried entry');
    await redis.client.xdel(keys.stream(queue), sid);
    const carried = await redis.client.xadd(
      keys.stream(queue),
      '*',
      'id',
      ids[1]!,
      'd',
      '{not json',
      'o',
      '{}',
    );
    await redis.client.hset(keys.job(ids[1]!), 'sid', carried!);
    const consumer = await consumerFor(queue, 'node-bad');
    const seen: unknown[] = [];
    const runner = new QueueProcessor(
      consumer,
      defineJob({
        name: queue,
        description: 'test',
        input: Type.Any(),
        handler: (d: unknown) => seen.push(d),
      }),
      {
        concurrency: 10,
        claimTimeoutMs: 60_000,
        blockMs: 200,
        defaultBackoff: { type: 'fixed', delayMs: 10 },
      },
      log,
    );
    runner.start();
    try {
      const states = await until(
        'the three jobs final',
        () => Promise.all(ids.map((id) => redis.client.hgetall(keys.job(id)))),
        (s) => s.every((j) => j.status === 'done' || j.status === 'failed'),
      );
      assert.deepEqual(
        states.map((s) => s.status),
        ['done', 'failed', 'done'],
      );
      assert.match(states[1]!.error!, /stored job is not JSON/);
      assert.deepEqual(seen.sort(), [1, 3]);
    } finally {
      await runner.stop(1000);
    }
  });

  it('jobs taken over by a reclaim that answers during shutdown are handed back, never run on closing connections', async () => {
    const queue = 'reclaimq';
    const id = await enqueue(queue, 'x');
    const crashed = await consumerFor(queue, 'node-crashed');
    await claimAll(crashed, 1);
    const consumer = await consumerFor(queue, 'node-stopping');
    // Hold the takeover's answer until stop() has ended the claim loop (and looked at the
    // jobs running then).
    let reclaimStarted!: () => void;
    const started = new Promise<void>((resolve) => (reclaimStarted = resolve));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let stopping = false;
    const reclaim = consumer.reclaimIdle.bind(consumer);
    consumer.reclaimIdle = async (count, minIdleMs) => {
      const jobs = await reclaim(count, minIdleMs);
      if (jobs.length > 0) {
        reclaimStarted();
        await gate;
      }
      return jobs;
    };
    const read = consumer.claimOrWait.bind(consumer);
    consumer.claimOrWait = async (count, blockMs) => {
      const jobs = await read(count, blockMs);
      if (stopping) setImmediate(openGate);
      return jobs;
    };
    let runs = 0;
    const runner = new QueueProcessor(
      consumer,
      defineJob({
        name: queue,
        description: 'test',
        input: Type.Any(),
        handler: async () => {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      }),
      {
        concurrency: 2,
        claimTimeoutMs: 150,
        blockMs: 100,
        defaultBackoff: { type: 'fixed', delayMs: 10 },
      },
      log,
    );
    runner.start();
    await started;
    stopping = true;
    await runner.stop(60_000);
    // Either handed back unstarted, or (the release woke the read stop() was ending, which
    // runs what it claimed) run and written before stop() resolved: nothing runs after it.
    const atStop = { runs, state: await redis.client.hgetall(keys.job(id)) };
    await new Promise((resolve) => setTimeout(resolve, 200)); // a late run would start at once
    assert.equal(runs, atStop.runs, 'nothing ran after stop()');
    if (atStop.runs === 0) {
      assert.equal(atStop.state.status, 'accepted', 'back in the queue');
      assert.equal(atStop.state.attempts, '1', 'the handed-back start does not count');
    } else {
      assert.equal(atStop.state.status, 'done', 'run and written before stop() resolved');
    }
    assert.equal(atStop.state.recoveries, '1', 'the crashed holder never reported');
  });

  it('a worker stopped cleanly leaves its consumer groups: three start/SIGTERM cycles leave no consumer', async () => {
    for (let i = 0; i < 3; i++) {
      const worker = startWorkerProcess(redis.url, { WORKMESH_TYPES: 'hash' });
      const { nodeId } = await worker.ready;
      // A consumer is made by its first read: give it a job.
      const id = await enqueue('hash', { text: 'x' });
      await until(
        'the job done',
        () => redis.client.hget(keys.job(id), 'status'),
        (s) => s === 'done',
      );
      assert.ok((await consumerNames('hash')).includes(nodeId));
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    assert.deepEqual(await consumerNames('hash'), []);
  });

  it('runAt of a leap second (…T23:59:60Z): 400, not run at once', async () => {
    const api: InProcessApi = await buildTestApi(redis.url);
    try {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { type: 'permute', data: 'ab', runAt: '2030-06-30T23:59:60Z' },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.body, /WM_ERR_API_BAD_REQUEST/);
    } finally {
      await api.close();
    }
  });
});
