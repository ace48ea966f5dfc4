import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient, type JobState } from '../src/client/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/** The seed's demo, end to end, with real API and worker processes. */
let redis: TestRedis;
let client: WorkmeshClient;

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url);
  const { url } = await api.ready;
  client = new WorkmeshClient({ baseUrl: url! });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

function sortChars(s: string): string {
  return Array.from(s).sort().join('');
}

describe('the seed flow', () => {
  it('POST -> accepted -> pending -> done, the value a permutation of the input', async () => {
    const input = 'some-string-goes-here';
    const accepted = await client.submitData(input);
    assert.equal(accepted.status, 'accepted');
    // No worker yet: the job waits in the queue.
    assert.equal((await client.status(accepted.callback)).status, 'accepted');

    const worker = startWorkerProcess(redis.url, { WORKMESH_PERMUTE_DELAY_MS: '1500' });
    const { nodeId } = await worker.ready;
    const pending = await until(
      'pending',
      () => client.status(accepted.callback),
      (s) => s.status !== 'accepted',
    );
    assert.equal(pending.status, 'pending');
    assert.equal(pending.workedBy, nodeId);

    const done = await client.wait(accepted.callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');
    assert.equal(typeof done.value, 'string');
    assert.equal(sortChars(done.value as string), sortChars(input));
    assert.equal(done.attempts, 1);
    assert.ok(done.finishedAt && done.startedAt && done.finishedAt >= done.startedAt);
  });

  it('runs every built-in type through the JSON form', async () => {
    const jobs = await Promise.all([
      client.submit('permute', 'héllo wörld 🎉'),
      client.submit('hash', { text: 'hello world' }),
      client.submit('hash', {
        base64: Buffer.from('hello world').toString('base64'),
        algorithm: 'md5',
      }),
      client.submit('text-stats', { text: 'The cat. The dog!\nA bird?', top: 1 }),
    ]);
    const results = await Promise.all(
      jobs.map((j) => client.wait(j.callback, { timeoutMs: 20_000 })),
    );
    for (const r of results) assert.equal(r.status, 'done', JSON.stringify(r));
    assert.equal(sortChars(results[0]!.value as string), sortChars('héllo wörld 🎉'));
    assert.deepEqual(results[1]!.value, {
      algorithm: 'sha256',
      hex: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
      bytes: 11,
    });
    assert.equal((results[2]!.value as { hex: string }).hex, '5eb63bbbe01eeed093cb22bb8f5acdc3');
    assert.deepEqual(results[3]!.value, {
      characters: 25,
      words: 6,
      lines: 2,
      sentences: 3,
      topWords: [{ word: 'the', count: 2 }],
    });
  });

  it('forgets a finished job after its result TTL: then 404', async () => {
    const accepted = await client.submit('hash', { text: 'short-lived' }, { resultTtlSec: 1 });
    const done = await client.wait(accepted.callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');
    assert.ok((await redis.client.ttl(`wm:{hash}:job:${accepted.callback}`)) <= 1);
    const gone = await until(
      'the result to expire',
      () =>
        client.status(accepted.callback).then(
          (s: JobState) => s.status,
          (e: Error & { code?: string }) => e.code,
        ),
      (v) => v === 'WM_ERR_JOB_NOT_FOUND',
      10_000,
      200,
    );
    assert.equal(gone, 'WM_ERR_JOB_NOT_FOUND');
  });

  it('keeps queued jobs without expiry', async () => {
    const accepted = await client.submit('hash', { text: 'x' }, { resultTtlSec: 1 });
    const state = await client.wait(accepted.callback, { timeoutMs: 20_000 });
    assert.equal(state.status, 'done');
    const queued = await redis.keys('wm:*:job:*');
    for (const key of queued) {
      const status = await redis.client.hget(key, 'status');
      const ttl = await redis.client.ttl(key);
      if (status === null || ttl === -2) continue; // expired between the reads: it had a TTL
      if (status === 'accepted' || status === 'pending') assert.equal(ttl, -1, key);
      else assert.ok(ttl > 0, `${key} (${status}) has a TTL`);
    }
  });
});
