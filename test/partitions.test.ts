import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import { JOB_ID_RE, queueOfJobId, queuesOfType, typeOfQueue } from '../src/redis/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.js';

/** A partitioned job type on a 3-master Redis Cluster: one hot type over several masters. */
let cluster: TestRedisCluster;
let masters: Redis[];
let client: WorkmeshClient;
const dir = mkdtempSync(join(tmpdir(), 'workmesh-part-'));
const ENV = { ...FAST_CLUSTER, WORKMESH_JOBS: 'test/fixtures/partitioned.ts' };

before(async () => {
  cluster = await startTestRedisCluster();
  masters = cluster.masters();
  const api = startApiProcess(cluster.url, ENV);
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
});
after(async () => {
  await stopAll();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('partitions', () => {
  it('names: <type>~<n> queues, ids that carry their partition', () => {
    assert.deepEqual(queuesOfType('hot', 1), ['hot']);
    assert.deepEqual(queuesOfType('hot', 3), ['hot~0', 'hot~1', 'hot~2']);
    assert.equal(typeOfQueue('hot~2'), 'hot');
    assert.equal(typeOfQueue('hot'), 'hot');
    assert.equal(queueOfJobId('hot~12.AAAAAAAAAAAAAAAA'), 'hot~12');
    assert.ok(!JOB_ID_RE.test('hot~.AAAAAAAAAAAAAAAA'));
    assert.ok(!JOB_ID_RE.test('hot~123.AAAAAAAAAAAAAAAA'));
  });

  it('spreads one type over at least 2 masters; 2 workers do every job exactly once', async () => {
    await Promise.all([
      startWorkerProcess(cluster.url, ENV).ready,
      startWorkerProcess(cluster.url, ENV).ready,
    ]);
    const file = join(dir, 'runs.log');
    const jobs = await Promise.all(
      Array.from({ length: 120 }, () => client.submit('spread', { file })),
    );
    const finals = await Promise.all(
      jobs.map((j) => client.wait(j.callback, { timeoutMs: 30_000 })),
    );
    for (const f of finals) {
      assert.equal(f.status, 'done');
      assert.equal(f.type, 'spread', 'the record keeps the type, not the partition');
      assert.equal(f.attempts, 1);
    }
    // Every job ran once: the execution log lives outside Redis.
    const runs = readExecutions(file);
    assert.equal(runs.length, 120);
    assert.equal(new Set(runs.map((r) => r.id)).size, 120);
    assert.ok(new Set(runs.map((r) => r.pid)).size === 2, 'both workers took part');

    const partitionsUsed = new Set(jobs.map((j) => queueOfJobId(j.callback)));
    assert.equal(
      partitionsUsed.size,
      6,
      `jobs on every partition: ${[...partitionsUsed].join(',')}`,
    );
    // Which master holds each partition's stream (KEYS lists only a master's own keys).
    const holders = await Promise.all(
      queuesOfType('spread', 6).map(async (queue) => {
        const key = `wm:{${queue}}:stream`;
        const on = await Promise.all(masters.map(async (m) => (await m.keys(key)).length));
        assert.equal(on.filter((n) => n === 1).length, 1, `${key} on one master`);
        const slot = Number(await masters[0]!.call('CLUSTER', 'KEYSLOT', key));
        return { queue, slot, master: on.indexOf(1) };
      }),
    );
    const usedMasters = new Set(holders.map((h) => h.master));
    assert.ok(usedMasters.size >= 2, `streams on masters ${JSON.stringify(holders)}`);
  });

  it('an idempotency key names the same job, on the same partition, every time', async () => {
    const file = join(dir, 'idem.log');
    const a = await client.submit('spread', { file }, { key: 'order-7' });
    const b = await client.submit('spread', { file }, { key: 'order-7' });
    assert.equal(a.callback, b.callback);
    assert.match(a.callback, /^spread~\d\./);
    assert.equal((await client.wait(a.callback)).status, 'done');
    assert.equal(readExecutions(file).length, 1);
  });
});
