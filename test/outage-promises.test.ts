import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import type { ClusterNode, MembershipChange } from '../src/cluster/index.js';
import { FAST_CLUSTER, startTestNode } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/**
 * docs/cluster.md's outage promises that no other test keeps: after an outage longer than the
 * node TTL nobody is declared gone within one TTL of Redis coming back (the `resumed` guard),
 * so no running job is taken over and run twice; and a Redis that hangs (answers nothing)
 * gets 503 from the API after its 2 s Redis timeout, not when Redis answers again.
 */
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: join(ROOT, 'test/fixtures/jobs.ts'),
  WORKMESH_TYPES: 'record',
  WORKMESH_CONCURRENCY: '3', // the 6 jobs run on both workers
  // The claim-timeout path must not be what keeps the jobs: only the registry could take them.
  WORKMESH_CLAIM_TIMEOUT_MS: '120000',
};
const TTL_MS = Number(FAST_CLUSTER.WORKMESH_NODE_TTL_MS);
const dir = mkdtempSync(join(tmpdir(), 'workmesh-outage-promises-'));
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
let observer: ClusterNode;
const left: MembershipChange[] = [];

before(async () => {
  if (ON_CLUSTER) return;
  redis = await startTestRedis(['--appendfsync', 'always']);
  const api = startApiProcess(redis.url, ENV);
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
  await Promise.all([
    startWorkerProcess(redis.url, ENV).ready,
    startWorkerProcess(redis.url, ENV).ready,
  ]);
  observer = await startTestNode(redis.url);
  observer.on('left', (c: MembershipChange) => left.push(c));
});
after(async () => {
  if (ON_CLUSTER) return;
  await observer.stop();
  await stopAll();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis outages', { skip: ON_CLUSTER && 'stops and pauses one redis-server' }, () => {
  it('after an outage longer than the TTL, nobody is declared gone and no running job runs twice', async () => {
    const f = join(dir, 'outage.log');
    const ids = await Promise.all(
      Array.from(
        { length: 6 },
        async () => (await client.submit('record', { file: f, ms: 6000 })).callback,
      ),
    );
    await until(
      'every job to run',
      () => readExecutions(f).length,
      (c) => c === ids.length,
    );
    assert.equal(new Set(readExecutions(f).map((e) => e.pid)).size, 2, 'on both workers');
    const resumed = 'wm:{_cluster}:resumed';
    const before = await redis.client.get(resumed); // set by the cluster's first heartbeat
    await redis.server.stop();
    await sleep(2 * TTL_MS + 500); // the outage: every deadline in the registry lapses
    await redis.restart();
    // The first heartbeat after the silence marks the resumption; then one TTL passes with the
    // reapers running twice per heartbeat: a node wrongly declared gone would be by then.
    const resumedAt = Number(
      await until(
        'the cluster to mark its resumption',
        () => redis.client.get(resumed),
        (v) => v !== null && v !== before,
      ),
    );
    await until(
      'one TTL and two heartbeats past the resumption, by Redis time',
      async () => {
        const [s, us] = await redis.client.time();
        return Number(s) * 1000 + Math.floor(Number(us) / 1000) - resumedAt;
      },
      (ms) => ms > TTL_MS + 2 * Number(FAST_CLUSTER.WORKMESH_HEARTBEAT_MS),
    );
    await until(
      'the API to be ready again',
      async () => (await fetch(`${apiUrl}/readyz`)).status,
      (status) => status === 200,
    );
    const finals = await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 60_000 })));
    assert.deepEqual(
      finals.map((s) => [s.status, s.attempts, s.recoveries ?? 0]),
      ids.map(() => ['done', 1, 0]),
    );
    assert.deepEqual(
      left.map((c) => `${c.node.role} ${c.reason}`),
      [],
      'nobody was declared gone',
    );
    const runs = readExecutions(f);
    assert.equal(runs.length, ids.length, 'each job ran once');
    assert.equal(new Set(runs.map((r) => r.id)).size, ids.length);
  });

  it('a Redis that hangs: 503 after the 2 s Redis timeout, before Redis answers again', async () => {
    const { callback } = await client.submit('record', { file: join(dir, 'hang.log') });
    await client.wait(callback, { timeoutMs: 20_000 });
    const pauser = new Redis(redis.url, { maxRetriesPerRequest: null });
    const probe = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      await probe.ping();
      // Every client's commands wait for 10 s; connections stay up, so only the timeout helps.
      await pauser.client('PAUSE', 10_000, 'ALL');
      let redisAnswered = false;
      const answered = probe.ping().then(() => (redisAnswered = true));
      const started = performance.now();
      const [status, submit, ready] = await Promise.all([
        fetch(`${apiUrl}/api/status/${callback}`).then(async (r) => ({
          r,
          at: performance.now(),
          redisAnswered,
          body: (await r.json()) as { error?: { code: string } },
        })),
        fetch(`${apiUrl}/api/work?data=during-hang`, { method: 'POST' }).then(async (r) => ({
          r,
          at: performance.now(),
          redisAnswered,
          body: (await r.json()) as { error?: { code: string } },
        })),
        // A readiness probe must not hang with Redis (its PING once waited without a bound).
        fetch(`${apiUrl}/readyz`).then(async (r) => ({
          r,
          at: performance.now(),
          redisAnswered,
          body: (await r.json()) as { error?: { code: string } },
        })),
      ]);
      for (const a of [status, submit, ready]) {
        assert.equal(a.r.status, 503);
        assert.equal(a.body.error?.code, 'WM_ERR_REDIS_UNAVAILABLE');
        if (a !== ready) assert.equal(a.r.headers.get('retry-after'), '1');
        assert.equal(a.redisAnswered, false, 'answered while Redis still hung');
        assert.ok(a.at - started >= 2000, `not before the 2 s timeout: ${a.at - started} ms`);
      }
      assert.ok(submit.r.headers.get('idempotency-key'), 'the 503 to a write names its key');
      await answered;
    } finally {
      pauser.disconnect();
      probe.disconnect();
    }
  });
});
