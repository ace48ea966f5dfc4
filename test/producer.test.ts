import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import jobs from '../examples/library/jobs.js';
import {
  Queue,
  defineJob,
  isWorkmeshError,
  loadConfig,
  startWorker,
  type JobTypesOf,
  type WorkerHandle,
} from '../src/index.js';
import { Keys } from '../src/redis/index.js';
import { ROOT } from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';

const JOBS_MODULE = join(ROOT, 'examples/library/jobs.ts');

/** Runs until its job is cancelled. */
const slow = defineJob({
  name: 'slow',
  description: 'Waits for its signal.',
  input: Type.Object({}),
  handler: (_data, ctx) =>
    new Promise<never>((_resolve, reject) =>
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
    ),
});
const all = [...jobs, slow];
type Jobs = JobTypesOf<typeof all>;

async function rejects(fn: () => Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(isWorkmeshError(err), String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('producer API (Queue)', () => {
  let redis: TestRedis;
  let queue: Queue<Jobs>;
  let worker: WorkerHandle;
  let api: InProcessApi;

  before(async () => {
    redis = await startTestRedis();
    const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_LOG_LEVEL: 'silent' });
    queue = new Queue<Jobs>({ redis: redis.url, jobs: all, config });
    worker = await startWorker({ config, jobs: all });
    api = await buildTestApi(redis.url, { WORKMESH_JOBS: JOBS_MODULE }, { watch: true });
  });

  after(async () => {
    await queue.close();
    await worker.stop(1000);
    await api.close();
    await redis.stop();
  });

  it('adds a job that the embedded worker runs; waitFor answers its final state', async () => {
    const added = await queue.add('resize', { url: 'https://example.com/a.png', width: 400 });
    assert.equal(added.status, 'accepted');
    assert.equal(added.created, true);
    assert.equal(added.type, 'resize');
    const state = await queue.waitFor<'resize'>(added.id);
    assert.equal(state.status, 'done');
    assert.deepEqual(state.value, { url: 'https://example.com/a.png', width: 400, height: 300 });
  });

  it('reads a job exactly as GET /api/status does', async () => {
    const { id } = await queue.add('greet', { name: 'ada' });
    await queue.waitFor(id);
    const res = await api.app.inject({ method: 'GET', url: `/api/status/${id}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await queue.get(id), res.json());
    assert.equal((await queue.get(id))?.value, 'hello, ada');
  });

  it('a job the API accepted is read, waited for and followed the same way', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/work',
      payload: { type: 'greet', data: { name: 'bob' } },
    });
    const { callback } = res.json<{ callback: string }>();
    assert.equal((await queue.waitFor(callback)).value, 'hello, bob');
  });

  it('follows the events of a job until its final one', async () => {
    const { id } = await queue.add('resize', { url: 'https://example.com/b.png', width: 8 });
    const seen: string[] = [];
    let final: unknown;
    for await (const event of queue.events(id)) {
      seen.push(event.status);
      if (event.status === 'done' && 'value' in event) final = event.value;
    }
    assert.deepEqual(seen, ['accepted', 'pending', 'progress', 'done']);
    assert.deepEqual(final, { url: 'https://example.com/b.png', width: 8, height: 6 });
  });

  it('refuses bad data and bad options with the codes POST /api/work answers, writing nothing', async () => {
    const before = await redis.dbsize();
    const cases: [type: string, data: unknown, options: Record<string, unknown>][] = [
      ['resize', { url: 'not a url', width: 4 }, {}],
      ['nosuch', {}, {}],
      ['greet', { name: 'x' }, { priority: 11 }],
      ['greet', { name: 'x' }, { maxAttempts: 0 }],
      ['greet', { name: 'x' }, { group: 'no spaces allowed' }],
      ['greet', { name: 'x' }, { dedupe: { key: 'k', ttlSec: 0, mode: 'throttle' } }],
      ['greet', { name: 'x' }, { surprise: true }],
    ];
    for (const [type, data, options] of cases) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { type, data, ...options },
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, res.body);
      const { code } = res.json<{ error: { code: string } }>().error;
      // The typed signature refuses these at compile time; untyped callers reach the checks.
      const untyped = queue as unknown as Queue;
      await rejects(() => untyped.add(type, data, options), code);
    }
    assert.equal(await redis.dbsize(), before);
  });

  it('an idempotency key names one job; a dedupe window answers with its job', async () => {
    const first = await queue.add('greet', { name: 'key' }, { key: 'order-17' });
    const again = await queue.add('greet', { name: 'key' }, { key: 'order-17' });
    assert.equal(again.id, first.id);
    assert.equal(again.created, false);
    await rejects(
      () => queue.add('greet', { name: 'other' }, { key: 'order-17' }),
      'WM_ERR_API_IDEMPOTENCY_MISMATCH',
    );
    const dedupe = { key: 'd1', ttlSec: 60, mode: 'throttle' as const };
    const a = await queue.add('greet', { name: 'd' }, { dedupe, delayMs: 60_000 });
    const b = await queue.add('greet', { name: 'd' }, { dedupe, delayMs: 60_000 });
    assert.equal(b.id, a.id);
    assert.equal(b.deduplicated, true);
    // Priority and group are stored as the API stores them.
    const placed = await queue.add('greet', { name: 'p' }, { priority: 5, group: 'acme' });
    const record = await redis.client.hgetall(new Keys(api.config.prefix).job(placed.id));
    assert.equal(record.priority, '5');
    assert.equal(record.group, 'acme');
  });

  it('adds in bulk, answering each job on its own', async () => {
    const untyped = queue as unknown as Queue;
    const results = await untyped.addBulk([
      { type: 'greet', data: { name: 'one' } },
      { type: 'greet', data: { name: '' } },
      { type: 'resize', data: { url: 'https://example.com/c.png', width: 2 } },
    ]);
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true],
    );
    const bad = results[1]!;
    assert.ok(!bad.ok && bad.error.code === 'WM_ERR_JOB_INVALID_DATA');
    for (const r of results) if (r.ok) assert.equal((await queue.waitFor(r.id)).status, 'done');
  });

  it('cancels a delayed job and a running one (its worker aborts it)', async () => {
    const later = await queue.add('greet', { name: 'later' }, { delayMs: 60_000 });
    assert.deepEqual(await queue.cancel(later.id), {
      callback: later.id,
      status: 'cancelled',
      wasRunning: false,
    });
    await rejects(() => queue.cancel(later.id), 'WM_ERR_JOB_FINAL');

    const running = await queue.add('slow', {});
    for await (const event of queue.events(running.id)) if (event.status === 'pending') break;
    assert.equal((await queue.cancel(running.id)).wasRunning, true);
    assert.equal((await queue.waitFor(running.id)).status, 'cancelled');
    // The worker's own count: the handler was aborted there, not only marked in Redis.
    await until(
      'the handler aborted',
      () => worker.counts().inFlight,
      (n) => n === 0,
    );
  });

  it('answers unknown and malformed ids as the API does; waitFor has a deadline', async () => {
    const unknown = 'greet.0000000000000000';
    const res = await api.app.inject({ method: 'GET', url: `/api/status/${unknown}` });
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'WM_ERR_JOB_NOT_FOUND');
    assert.equal(await queue.get(unknown), undefined);
    await rejects(() => queue.waitFor(unknown), 'WM_ERR_JOB_NOT_FOUND');
    await rejects(() => queue.events(unknown).next(), 'WM_ERR_JOB_NOT_FOUND');
    await rejects(() => queue.get('../etc'), 'WM_ERR_API_BAD_ID');
    await rejects(() => queue.cancel('nope'), 'WM_ERR_API_BAD_ID');
    const later = await queue.add('greet', { name: 'w' }, { delayMs: 60_000 });
    await rejects(() => queue.waitFor(later.id, { timeoutMs: 100 }), 'WM_ERR_JOB_WAIT_TIMEOUT');
    const aborted = new AbortController();
    aborted.abort(new Error('gave up'));
    await assert.rejects(() => queue.waitFor(later.id, { signal: aborted.signal }), /gave up/);
  });

  it(
    'takes ioredis options instead of a URL',
    { skip: ON_CLUSTER && 'a single server' },
    async () => {
      const { hostname, port } = new URL(redis.url);
      const own = new Queue<Jobs>({
        redis: { host: hostname, port: Number(port) },
        jobs: all,
        config: loadConfig({ WORKMESH_LOG_LEVEL: 'silent' }),
      });
      try {
        const { id } = await own.add('greet', { name: 'opts' });
        assert.equal((await own.waitFor(id)).value, 'hello, opts');
        // Follows from an event number on, as Last-Event-ID does.
        const rest: string[] = [];
        for await (const event of own.events(id, { after: 1 })) rest.push(event.status);
        assert.deepEqual(rest, ['pending', 'done']);
      } finally {
        await own.close();
      }
    },
  );
});
