import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { bucketOf, quantile } from '../src/history/index.js';
import { Keys } from '../src/redis/index.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/** GET /api/metrics/history against the jobs two real workers ran, and its bad input. */
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
const ENV = { WORKMESH_JOBS: 'test/fixtures/jobs.ts', WORKMESH_HISTORY_FLUSH_MS: '200' };
const MINUTE = 60_000;
/** The record jobs' handler time: their run time is at least this. */
const RUN_MS = 150;

interface Point {
  at: string;
  accepted: number;
  done: number;
  failed: number;
  waitP50Ms: number | null;
  waitP95Ms: number | null;
  runP50Ms: number | null;
  runP95Ms: number | null;
}
interface History {
  type: string | null;
  step: string;
  points: Point[];
}

async function get(query: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${apiUrl}/api/metrics/history?${query}`);
  return { status: res.status, body: await res.json() };
}

async function history(query: string): Promise<History> {
  const { status, body } = await get(query);
  assert.equal(status, 200, JSON.stringify(body));
  return body as History;
}

const sum = (points: Point[], field: 'accepted' | 'done' | 'failed'): number =>
  points.reduce((n, p) => n + p[field], 0);

/**
 * Each minute's count is that of the jobs whose time (the job record's, read back) is in it;
 * a job within a second of a minute's edge may have been counted by its process in the
 * minute next to it (the record's time and the count are taken a moment apart).
 */
function assertPerMinute(points: Point[], field: 'accepted' | 'done', times: number[]): void {
  const byMinute = new Map(points.map((p) => [Date.parse(p.at), p[field]]));
  for (const [minute, got] of byMinute) {
    const sure = times.filter((t) => t >= minute + 1000 && t < minute + MINUTE - 1000).length;
    const maybe = times.filter((t) => t >= minute - 1000 && t < minute + MINUTE + 1000).length;
    assert.ok(
      got >= sure && got <= maybe,
      `${field} in ${new Date(minute).toISOString()}: ${got}, expected ${sure}..${maybe}`,
    );
  }
  assert.equal(sum(points, field), times.length);
}

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('metrics history', () => {
  it('log buckets merge and give percentiles within half a bucket', () => {
    const h = new Map<number, number>();
    for (let ms = 1; ms <= 1000; ms++) h.set(bucketOf(ms), (h.get(bucketOf(ms)) ?? 0) + 1);
    for (const [q, exact] of [
      [0.5, 500],
      [0.95, 950],
    ] as const) {
      const got = quantile(h, q)!;
      assert.ok(Math.abs(got - exact) / exact < 0.1, `p${q * 100}: ${got} for ${exact}`);
    }
    assert.equal(quantile(new Map(), 0.5), undefined);
    assert.equal(bucketOf(0), 0);
  });

  it('counts the jobs run per minute, with plausible wait and run times', async () => {
    const dir = tempDir('history');
    const from = Date.now() - MINUTE;
    // Queued before any worker runs: each waits at least until the first worker is up.
    const submittedAt = Date.now();
    const ok = await Promise.all(
      Array.from({ length: 12 }, () =>
        client.submit('record', { file: join(dir, 'runs'), ms: RUN_MS }),
      ),
    );
    const bad = await Promise.all(Array.from({ length: 3 }, () => client.submit('boom', 'fatal')));
    // Two workers: their figures for the same minutes add up in Redis.
    const workers = [0, 1].map(() =>
      startWorkerProcess(redis.url, { ...ENV, WORKMESH_CONCURRENCY: '2' }),
    );
    await Promise.race(workers.map((w) => w.ready));
    const firstWorkerUp = Date.now();
    const states = await Promise.all([...ok, ...bad].map((j) => client.status(j.callback, 30)));
    assert.deepEqual(
      states.map((s) => s.status),
      [...ok.map(() => 'done'), ...bad.map(() => 'failed')],
    );

    const record = await until(
      'the workers to flush the history of record',
      () => history(`type=record&from=${from}`),
      (h) => sum(h.points, 'done') === ok.length,
    );
    assert.equal(record.type, 'record');
    assert.equal(record.step, '1m');
    const created = states.slice(0, ok.length).map((s) => Date.parse(s.createdAt));
    const finished = states.slice(0, ok.length).map((s) => Date.parse(s.finishedAt!));
    assertPerMinute(record.points, 'accepted', created);
    assertPerMinute(record.points, 'done', finished);
    assert.equal(sum(record.points, 'failed'), 0);

    const boom = await until(
      'the workers to flush the history of boom',
      () => history(`type=boom&from=${from}`),
      (h) => sum(h.points, 'failed') === bad.length,
    );
    assert.equal(sum(boom.points, 'accepted'), bad.length);
    assert.equal(sum(boom.points, 'done'), 0);

    // Percentiles over the whole run (one step of a day): a handler sleeps RUN_MS, so every
    // run took that long at least (less half a bucket of rounding); every job waited at least
    // from its submission to the first worker's start.
    const day = await history(`type=record&from=${from}&step=1d`);
    const all = day.points.filter((p) => p.done > 0);
    assert.equal(sum(all, 'done'), ok.length);
    for (const p of all) {
      assert.ok(p.runP50Ms! >= RUN_MS * 0.9, `run p50 ${p.runP50Ms}`);
      assert.ok(p.runP95Ms! >= p.runP50Ms!, `run p95 ${p.runP95Ms} < p50 ${p.runP50Ms}`);
      const waited = (firstWorkerUp - submittedAt) * 0.9;
      assert.ok(p.waitP50Ms! >= waited * 0.5, `wait p50 ${p.waitP50Ms}, first worker at ${waited}`);
      assert.ok(p.waitP95Ms! >= p.waitP50Ms!, `wait p95 ${p.waitP95Ms} < p50 ${p.waitP50Ms}`);
    }

    // Every type together, at coarser steps: the same totals.
    for (const step of ['5m', '1h']) {
      const together = await history(`from=${from}&step=${step}`);
      assert.equal(together.type, null);
      assert.equal(sum(together.points, 'accepted'), ok.length + bad.length);
      assert.equal(sum(together.points, 'done'), ok.length);
      assert.equal(sum(together.points, 'failed'), bad.length);
    }
    // Each step's start is on its boundary, and every step of the range is answered.
    const hourly = await history(`type=record&from=${from - 3 * 3600_000}&step=1h`);
    assert.ok(hourly.points.length >= 4);
    for (const p of hourly.points) assert.equal(Date.parse(p.at) % 3600_000, 0);

    // The keys expire 14 days after their 5 minutes.
    const block = Math.floor(created[0]! / MINUTE / 5);
    const ttl = await redis.client.ttl(new Keys('wm').history('record', block));
    assert.ok(ttl > 14 * 86_400 - 600 && ttl <= 14 * 86_400 + 300, `ttl ${ttl}`);
  });

  it('counts the jobs of a flow, a batch and a schedule as accepted, as those of POST /api/work', async () => {
    const from = Date.now() - MINUTE;
    const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(res.status === 200 || res.status === 202, await res.clone().text());
      return (await res.json()) as Record<string, unknown>;
    };
    const quiet = { type: 'chatty', data: { lines: 0 } };
    const flow = await post('/api/flows', { flow: { ...quiet, children: [quiet, quiet] } });
    assert.equal((flow.ids as string[]).length, 3);
    const batch = await post('/api/batches', { callback: quiet, jobs: [quiet, quiet] });
    assert.equal((batch.ids as string[]).length, 2);
    await post('/api/schedules', { id: 'history-once', ...quiet, everyMs: 1000, limit: 1 });
    // 3 flow nodes, the batch's callback and its 2 jobs, the schedule's one job.
    await until(
      'the 7 jobs counted as accepted',
      () => history(`type=chatty&from=${from}&step=1h`),
      (h) => sum(h.points, 'accepted') === 7,
      15_000,
    );
  });

  it('answers bad input with 400 and a catalogue code, an unknown type with 404', async () => {
    const now = Date.now();
    const cases: [string, number, string][] = [
      ['step=2m', 400, 'WM_ERR_API_BAD_REQUEST'],
      ['from=yesterday', 400, 'WM_ERR_API_BAD_REQUEST'],
      [`from=${now}&to=${now - 1000}`, 400, 'WM_ERR_API_BAD_REQUEST'],
      [`from=${now - 20 * 86_400_000}&to=${now}&step=1h`, 400, 'WM_ERR_API_BAD_REQUEST'],
      [`from=${now - 14 * 86_400_000}&to=${now}&step=1m`, 400, 'WM_ERR_API_BAD_REQUEST'],
      ['type=Bad%20Type', 400, 'WM_ERR_API_BAD_REQUEST'],
      ['type=nosuchtype', 404, 'WM_ERR_QUEUE_UNKNOWN_TYPE'],
    ];
    for (const [query, status, code] of cases) {
      const res = await get(query);
      assert.equal(res.status, status, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal((res.body as { error: { code: string } }).error.code, code, query);
    }
    // 14 days at 5 minutes is allowed (4,032 steps).
    const fortnight = await history(`from=${now - 14 * 86_400_000}&to=${now}&step=5m`);
    assert.equal(fortnight.points.length, 4032 + (now % 300_000 === 0 ? 0 : 1));
  });

  it(
    'holds a busy day of one type in a bounded hash (measured)',
    { skip: ON_CLUSTER && 'memory of one key: the same on a cluster' },
    async (t) => {
      // A busy day: every minute has jobs accepted, done and failed, their waits spread over
      // 12 buckets (1 ms .. 8 s) and run times over 6: as many fields as a steady mix of
      // short and long jobs gives. Written as the recorder writes it (HINCRBY, 5 minutes a key).
      const keys = new Keys('wm-measure');
      let bytes = 0;
      for (let block = 0; block < 288; block++) {
        const key = keys.history('busy', block);
        const pipeline = redis.client.pipeline();
        for (let at = 0; at < 5; at++) {
          for (const f of ['a', 'd', 'f']) pipeline.hincrby(key, `${at}${f}`, 1000);
          for (let b = 1; b <= 12; b++) pipeline.hincrby(key, `${at}w${b * 4}`, 100);
          for (let b = 1; b <= 6; b++) pipeline.hincrby(key, `${at}r${20 + b}`, 100);
        }
        pipeline.expireat(key, 2_000_000_000);
        await pipeline.exec();
        // MEMORY USAGE counts the value and the key's name, not the keyspace's own entry
        // (about 50 bytes more per key with its expiry).
        if (block === 0)
          assert.match(String(await redis.client.object('ENCODING', key)), /listpack|ziplist/);
        bytes += Number(await redis.client.memory('USAGE', key, 'SAMPLES', 0)) + 50;
        await redis.client.del(key);
      }
      t.diagnostic(
        `one busy day of one type: ${(bytes / 1024 / 1024).toFixed(2)} MiB; 14 days: ${((bytes * 15) / 1024 / 1024).toFixed(1)} MiB`,
      );
      assert.ok(bytes < 1024 * 1024, `${bytes} bytes for a day`);
    },
  );
});
