import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient, type JobState } from '../src/client/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  startApiProcess,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
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

/** The file's worker: the first test starts it (after checking a job waits without one). */
let worker: RoleProcess | undefined;
async function ensureWorker(env: Record<string, string> = {}): Promise<string> {
  worker ??= startWorkerProcess(redis.url, env);
  return (await worker.ready).nodeId;
}

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

    const nodeId = await ensureWorker({ WORKMESH_PERMUTE_DELAY_MS: '1500' });
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
    await ensureWorker();
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
    await ensureWorker();
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

  it('keeps queued, running and delayed jobs without expiry', async (t) => {
    // A Redis of its own: a worker that runs permute only, one at a time, for 10 minutes. So
    // a hash job stays queued, a permute job stays running, and a delayed one stays delayed.
    const own = await startTestRedis();
    t.after(() => own.stop());
    const api = startApiProcess(own.url);
    t.after(() => stopProcess(api));
    const worker = startWorkerProcess(own.url, {
      WORKMESH_TYPES: 'permute',
      WORKMESH_CONCURRENCY: '1',
      WORKMESH_PERMUTE_DELAY_MS: '600000',
    });
    t.after(() => stopProcess(worker, 'SIGKILL'));
    const ownClient = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const { nodeId } = await worker.ready;

    const running = await ownClient.submitData('running');
    await until(
      'the permute job to run',
      () => ownClient.status(running.callback),
      (s) => s.status === 'pending',
    );
    const queued = await ownClient.submit('hash', { text: 'x' }, { resultTtlSec: 1 });
    const delayed = await ownClient.submit('permute', 'later', { delayMs: 3_600_000 });
    const jobs = [
      { id: running.callback, type: 'permute', status: 'pending', workedBy: nodeId },
      { id: queued.callback, type: 'hash', status: 'accepted', workedBy: undefined },
      { id: delayed.callback, type: 'permute', status: 'accepted', workedBy: undefined },
    ];
    for (const job of jobs) {
      const state = await ownClient.status(job.id);
      assert.equal(state.status, job.status, job.id);
      assert.equal(state.workedBy, job.workedBy, job.id);
      assert.equal(
        await own.client.ttl(`wm:{${job.type}}:job:${job.id}`),
        -1,
        `${job.id} (${job.status}) expires`,
      );
    }
    assert.ok((await ownClient.status(delayed.callback)).runAt, 'the delayed job has a runAt');
    assert.notEqual(await own.client.zscore('wm:{permute}:delayed', delayed.callback), null);
  });
});
