import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { StreamConsumer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';

// An idempotency key names one job whatever the deployment does (partition count, tokens on
// or off), refuses other data, and every 5xx of a write carries the key that makes resending
// it safe (docs/api.md, "Retrying a write").
const keys = new Keys('wm');
const TOKEN = 'acme-token-aaaaaaaaaaaaaaaaaaaaaaaa';
let redis: TestRedis;
let conn: Redis;
let onePartition: InProcessApi;
let fivePartitions: InProcessApi;
let withTokens: InProcessApi;

before(async () => {
  redis = await startTestRedis();
  conn = connectRedis(redis.url, createLogger('error'), { name: 'idem-test' });
  onePartition = await buildTestApi(redis.url, { WORKMESH_JOBS: 'test/fixtures/idem-1.ts' });
  fivePartitions = await buildTestApi(redis.url, { WORKMESH_JOBS: 'test/fixtures/idem-5.ts' });
  withTokens = await buildTestApi(redis.url, {
    WORKMESH_JOBS: 'test/fixtures/idem-1.ts',
    WORKMESH_API_TOKENS: `acme:submit+read:${TOKEN}`,
  });
});
after(async () => {
  await Promise.all([onePartition.close(), fivePartitions.close(), withTokens.close()]);
  conn.disconnect();
  await redis.stop();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: { callback?: string; duplicate?: boolean; error?: { code: string } };
}

async function submit(
  api: InProcessApi,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await api.app.inject({ method: 'POST', url: '/api/work', payload, headers });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('idempotency keys', () => {
  it('name the same job after the type goes from 1 partition to 5', async () => {
    const first = await submit(onePartition, { type: 'idem', data: { n: 1 }, key: 'order-1' });
    assert.equal(first.status, 202);
    const again = await submit(fivePartitions, { type: 'idem', data: { n: 1 }, key: 'order-1' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.callback, first.body.callback);
    assert.equal(again.body.duplicate, true);
  });

  it('name the same job after tokens are turned on, and off again', async () => {
    const before = await submit(onePartition, { type: 'idem', data: 'x', key: 'order-2' });
    assert.equal(before.status, 202);
    const on = await submit(withTokens, { type: 'idem', data: 'x', key: 'order-2' }, bearer);
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal(on.body.callback, before.body.callback);

    const tenantFirst = await submit(
      withTokens,
      { type: 'idem', data: 'y', key: 'order-3' },
      bearer,
    );
    assert.equal(tenantFirst.status, 202);
    const off = await submit(onePartition, { type: 'idem', data: 'y', key: 'order-3' });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.callback, tenantFirst.body.callback);
  });

  it('with other data answer 422 WM_ERR_API_IDEMPOTENCY_MISMATCH, even once the key record is gone', async () => {
    const first = await submit(onePartition, { type: 'idem', data: [1, 2], key: 'order-4' });
    assert.equal(first.status, 202);
    const same = await submit(onePartition, { type: 'idem', data: [1, 2], key: 'order-4' });
    assert.equal(same.status, 200);
    const other = await submit(onePartition, { type: 'idem', data: [1, 3], key: 'order-4' });
    assert.equal(other.status, 422);
    assert.equal(other.body.error?.code, 'WM_ERR_API_IDEMPOTENCY_MISMATCH');
    // The record expired (24 h) while the job lives on: the job's own data is compared.
    await conn.del(...(await redis.keys('wm:{idem}:idem:*')));
    const later = await submit(onePartition, { type: 'idem', data: [1, 3], key: 'order-4' });
    assert.equal(later.status, 422);
    assert.equal(later.body.error?.code, 'WM_ERR_API_IDEMPOTENCY_MISMATCH');
  });
});

describe(
  'a write answered 503 that still lands',
  { skip: ON_CLUSTER && 'pauses one redis-server' },
  () => {
    /** Runs `write` while Redis holds every write for 3 s: the API gives up after 2 s (503). */
    async function duringWritePause<T>(write: () => Promise<T>): Promise<T> {
      await redis.client.client('PAUSE', 3000, 'WRITE');
      try {
        return await write();
      } finally {
        await redis.client.client('UNPAUSE');
      }
    }

    it('POST /api/work: resent as the 503 says (its Idempotency-Key), it makes exactly one job', async () => {
      const payload = { type: 'solo', data: { marker: 'paused-post' } };
      const first = await duringWritePause(() => submit(onePartition, payload));
      assert.equal(first.status, 503);
      const key = first.headers['idempotency-key'];
      // A client resends the same request, with the key the answer gave (if any).
      const resend = await submit(
        onePartition,
        payload,
        typeof key === 'string' ? { 'idempotency-key': key } : {},
      );
      assert.ok(resend.status === 200 || resend.status === 202, JSON.stringify(resend.body));
      const jobs = await redis.keys('wm:{solo}:job:*');
      const marked = [];
      for (const job of jobs) {
        if ((await conn.hget(job, 'data')) === JSON.stringify(payload.data)) marked.push(job);
      }
      assert.equal(marked.length, 1, `jobs made: ${marked.join(', ')}`);
      assert.equal(resend.body.callback, marked[0]!.split(':job:')[1]);
    });

    it('POST /api/dead/<id>/retry: a resend never revives the job a second time', async () => {
      const made = await submit(onePartition, { type: 'solo', data: 'to-die', maxAttempts: 1 });
      const id = made.body.callback!;
      const blocking = connectRedis(redis.url, createLogger('error'), { blocking: true });
      const consumer = new StreamConsumer(conn, blocking, keys, 'solo', 'idem-worker', {
        deadTtlSec: 3600,
        maxRecoveries: 2,
      });
      const fail = async (): Promise<void> => {
        const jobs = await consumer.claimOrWait(10, 1000);
        const job = jobs.find((j) => j.id === id);
        assert.ok(job, 'the job was claimed');
        assert.equal(await consumer.finish(job, { kind: 'fatal', error: 'boom' }), 'failed');
      };
      try {
        await consumer.ensureGroup();
        await fail();
        const first = await duringWritePause(() =>
          onePartition.app.inject({ method: 'POST', url: `/api/dead/${id}/retry` }),
        );
        assert.equal(first.statusCode, 503);
        // The revive ran once Redis took writes again: the job ran and died again meanwhile.
        await fail();
        const key = first.headers['idempotency-key'];
        const resend = await onePartition.app.inject({
          method: 'POST',
          url: `/api/dead/${id}/retry`,
          headers: typeof key === 'string' ? { 'idempotency-key': key } : {},
        });
        assert.notEqual(resend.statusCode, 202, 'not revived twice');
        assert.equal(await conn.hget(keys.job(id), 'status'), 'failed');
      } finally {
        blocking.disconnect();
      }
    });
  },
);
