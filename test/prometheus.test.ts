import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * The alert rules (deploy/prometheus-rules.yml) and the /metrics text of a real API and a real
 * worker, checked by Prometheus' own promtool (Debian's `prometheus` package; .ci/run installs
 * it), and the wait-time histogram and oldest-waiting gauge read from them.
 */
const PROMTOOL = 'promtool';
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
const ENV = { WORKMESH_JOBS: 'test/fixtures/jobs.ts' };

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { cwd: ROOT, input, encoding: 'utf8' });
  if (run.error)
    throw new Error(`${PROMTOOL} is missing: apt-get install prometheus (.ci/run does)`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The exposition without prom-client's default process_* and nodejs_* metrics. */
function ownMetrics(text: string): string {
  const lines = text.split('\n').filter((line) => {
    const name = line.startsWith('# ') ? line.split(' ')[2] : line.split(/[{ ]/)[0];
    return !/^(process_|nodejs_)/.test(name ?? '');
  });
  return lines.join('\n');
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
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

describe('Prometheus', () => {
  it('promtool accepts the alert rules, and their unit tests pass', () => {
    const check = promtool(['check', 'rules', 'deploy/prometheus-rules.yml']);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /SUCCESS: 6 rules found/);
    const test = promtool(['test', 'rules', 'deploy/prometheus-rules.test.yml']);
    assert.equal(test.status, 0, test.output);
    assert.match(test.output, /SUCCESS/);
  });

  it('every metric name the rules use is one the API serves', async () => {
    const text = await scrape(apiUrl);
    const used = new Set(
      readFileSync(join(ROOT, 'deploy/prometheus-rules.yml'), 'utf8').match(/workmesh_[a-z_]+/g),
    );
    assert.ok(used.size >= 4, [...used].join());
    for (const name of used) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  });

  it('promtool accepts /metrics of an API and a worker; wait time and oldest waiting job', async () => {
    const file = join(tempDir('prom'), 'runs');
    const jobs = await Promise.all(
      Array.from({ length: 4 }, () => client.submit('record', { file, ms: 10 })),
    );
    // Nothing runs them yet: the oldest waits, and grows older.
    const first = await until(
      'the oldest waiting job to age',
      async () =>
        value(await scrape(apiUrl), 'workmesh_queue_oldest_waiting_seconds{type="record"}'),
      (s) => s !== undefined && s > 0,
    );
    assert.ok(first! < 120, `oldest ${first}`);
    assert.equal(
      value(await scrape(apiUrl), 'workmesh_type_workers{type="record"}'),
      0,
      'no worker runs record yet',
    );

    const worker = startWorkerProcess(redis.url, { ...ENV, WORKMESH_METRICS_PORT: '0' });
    const workerUrl = (await worker.ready).url!;
    await Promise.all(jobs.map((j) => client.status(j.callback, 30)));
    const workerText = await until(
      'the wait histogram to count the jobs',
      () => scrape(workerUrl),
      (t) => value(t, 'workmesh_job_wait_seconds_count{type="record"}') === jobs.length,
    );
    // Each waited at least the time the test took to see the oldest one age.
    assert.ok(value(workerText, 'workmesh_job_wait_seconds_sum{type="record"}')! > 0);
    const apiText = await scrape(apiUrl);
    assert.equal(value(apiText, 'workmesh_queue_oldest_waiting_seconds{type="record"}'), 0);
    assert.equal(value(apiText, 'workmesh_type_workers{type="record"}'), 1);

    for (const [who, text] of [
      ['api', apiText],
      ['worker', workerText],
    ] as const) {
      const own = ownMetrics(text);
      assert.match(own, /^workmesh_/m, who);
      assert.doesNotMatch(own, /^(process|nodejs)_/m, who);
      const check = promtool(['check', 'metrics'], own);
      assert.equal(check.status, 0, `${who}: ${check.output}`);
      assert.equal(check.output.trim(), '', `${who}: ${check.output}`);
    }
  });
});
