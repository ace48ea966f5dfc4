import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { loadConfig, startWorker } from '../src/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/** GET /metrics on the API and on a worker, scraped while jobs run. */
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
const FIXTURES = { WORKMESH_JOBS: 'test/fixtures/jobs.ts' };

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, FIXTURES);
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

/**
 * The value of one sample, e.g. sample(text, 'workmesh_jobs_accepted_total{type="permute"}'); a
 * series missing from the scrape is an error (never read as 0: a metric that doesn't exist
 * would pass every `=== 0`).
 */
function sample(text: string, series: string): number {
  const value = findSample(text, series);
  assert.notEqual(value, undefined, `no series ${series} in the scrape:\n${text}`);
  return value!;
}

/** The value of one sample, or undefined when the scrape has no such series. */
function findSample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** A series' name as the exposition writes it. */
function series(name: string, labels = ''): string {
  return labels ? `${name}{${labels}}` : name;
}

describe('/metrics', () => {
  it('counts accepted on the API, completed and failed on the worker, with depth and nodes', async () => {
    const before = await scrape(apiUrl);
    const acceptedKey = series('workmesh_jobs_accepted_total', 'type="permute"');
    // Nothing of that type accepted yet: no series (prom-client writes a labelled one at its
    // first count).
    assert.equal(findSample(before, acceptedKey), undefined);

    // Queued before any worker runs: the depth shows them waiting.
    const jobs = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.submitData(`m-${i}`)),
    );
    const queued = await scrape(apiUrl);
    assert.equal(sample(queued, acceptedKey), 5);
    assert.equal(
      sample(queued, series('workmesh_queue_depth', 'type="permute",state="waiting"')),
      5,
    );

    const worker = startWorkerProcess(redis.url, {
      ...FIXTURES,
      WORKMESH_PERMUTE_DELAY_MS: '0',
      WORKMESH_METRICS_PORT: '0',
    });
    const metricsUrl = (await worker.ready).url!;
    for (const job of jobs) assert.equal((await client.wait(job.callback)).status, 'done');
    // A job that fails twice: one retry, then failed for good.
    const boom = await client.submit('boom', 'x', {
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 10 },
    });
    assert.equal((await client.wait(boom.callback)).status, 'failed');

    const text = await until(
      'worker counters',
      () => scrape(metricsUrl),
      (t) => sample(t, series('workmesh_jobs_completed_total', 'type="permute"')) === 5,
    );
    assert.equal(sample(text, series('workmesh_jobs_failed_total', 'type="boom"')), 1);
    assert.equal(sample(text, series('workmesh_jobs_retried_total', 'type="boom"')), 1);
    assert.equal(
      sample(text, series('workmesh_job_duration_seconds_count', 'type="permute",outcome="ok"')),
      5,
    );
    assert.equal(
      sample(text, series('workmesh_job_duration_seconds_count', 'type="boom",outcome="error"')),
      2,
    );
    assert.equal(sample(text, series('workmesh_jobs_in_flight', 'type="permute"')), 0);
    assert.equal(sample(text, series('workmesh_cluster_nodes', 'role="worker"')), 1);
    assert.equal(sample(text, series('workmesh_cluster_nodes', 'role="api"')), 1);
    assert.equal(sample(text, series('workmesh_queue_depth', 'type="boom",state="dead"')), 1);
    assert.match(text, /^workmesh_redis_errors_total 0$/m);
    assert.match(text, /^process_cpu_user_seconds_total/m);

    const after = await scrape(apiUrl);
    assert.equal(sample(after, acceptedKey), 5);
    assert.equal(sample(after, series('workmesh_jobs_accepted_total', 'type="boom"')), 1);
    assert.equal(
      sample(after, series('workmesh_queue_depth', 'type="permute",state="waiting"')),
      0,
    );
  });

  it('a resend of a known idempotency key is not counted again', async () => {
    const key = series('workmesh_jobs_accepted_total', 'type="hash"');
    const first = findSample(await scrape(apiUrl), key) ?? 0; // absent: none accepted yet
    await client.submit('hash', { text: 'x' }, { key: 'same-key' });
    await client.submit('hash', { text: 'x' }, { key: 'same-key' });
    assert.equal(sample(await scrape(apiUrl), key), first + 1);
  });

  it('/healthz and /readyz on the API and the worker listener', async () => {
    const worker = startWorkerProcess(redis.url, { WORKMESH_METRICS_PORT: '0' });
    const metricsUrl = (await worker.ready).url!;
    for (const base of [apiUrl, metricsUrl]) {
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200, base);
      assert.equal(((await ready.json()) as { ok: boolean }).ok, true);
    }
    assert.equal((await fetch(`${metricsUrl}/nothing`)).status, 404);
  });

  it("a worker's /readyz answers 200 as soon as the worker says it started", async () => {
    // In this process: the call's return is the moment a process says `ready`. The probe's
    // own connection used to be still connecting then (a Redis Cluster client a while), 503.
    const worker = await startWorker({
      config: loadConfig({
        REDIS_URL: redis.url,
        WORKMESH_LOG_LEVEL: 'silent',
        WORKMESH_METRICS_PORT: '0',
      }),
    });
    try {
      const ready = await fetch(`${worker.metricsUrl!}/readyz`);
      assert.equal(ready.status, 200);
    } finally {
      await worker.stop();
    }
  });

  it('/metrics is not in the OpenAPI document (it is not JSON), like /healthz', async () => {
    const doc = (await (await fetch(`${apiUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.equal(doc.paths['/metrics'], undefined);
  });
});
