import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient, type JobState } from '../src/client/index.js';
import { checkPort } from '../src/ports/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import {
  ROOT,
  isAlive,
  runCliToEnd,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

const FIXTURE_PORTS = join(ROOT, 'test/fixtures/ports/ports.json');
const EXAMPLE_PORTS = join(ROOT, 'examples/ports/ports.json');
const FIXTURE = join(ROOT, 'test/fixtures/ports/fixture.mjs');
const dir = tempDir('ports');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_PORTS: `${FIXTURE_PORTS},${EXAMPLE_PORTS}`,
  WORKMESH_CLAIM_TIMEOUT_MS: '2000',
  // Secrets of the worker that no port may see.
  WORKMESH_CLUSTER_SECRET: 'cluster-secret-for-ports-test',
  SECRET_TOKEN: 'do-not-leak',
};
let redis: TestRedis;
let client: WorkmeshClient;
let worker: RoleProcess;
let apiUrl: string;

async function run(type: string, data: unknown, timeoutMs?: number): Promise<JobState> {
  const { callback } = await client.submit(type, data, timeoutMs ? { timeoutMs } : {});
  return await client.wait(callback, { timeoutMs: 30_000 });
}

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
  worker = startWorkerProcess(redis.url, { ...ENV, WORKMESH_LOG_LEVEL: 'info' });
  await worker.ready;
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('ports: job types run by external programs', () => {
  it('runs jobs on long-lived children, never the worker itself', async () => {
    const jobs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => run('fixture', { do: 'ok' })));
    const pids = new Set(jobs.map((j) => (j.value as { pid: number }).pid));
    for (const job of jobs) assert.equal(job.status, 'done');
    assert.ok(
      pids.size >= 1 && pids.size <= 2,
      `2 children at most (concurrency 2): ${[...pids].join(',')}`,
    );
    assert.ok(!pids.has(worker.child.pid!));
  });

  it('passes the attempt and the deadline of a job with a timeout', async () => {
    const before = Date.now();
    const job = await run('fixture', { do: 'ok' }, 5_000);
    const value = job.value as { attempt: number; deadline: number };
    assert.equal(value.attempt, 1);
    assert.ok(value.deadline >= before + 5_000 && value.deadline <= Date.now() + 5_000);
  });

  it('an error reply fails the attempt; retryable false goes straight to the dead letters', async () => {
    const fatal = await run('fixture', { do: 'error', message: 'bad input', retryable: false });
    assert.equal(fatal.status, 'failed');
    assert.equal(fatal.attempts, 1);
    assert.equal(fatal.error, 'bad input');
    const retried = await run('fixture', { do: 'error', message: 'try later' });
    assert.equal(retried.status, 'failed');
    assert.equal(retried.attempts, 2);
    assert.deepEqual(
      retried.history?.map((h) => h.error),
      ['try later', 'try later'],
    );
  });

  for (const [what, reason] of [
    ['crash', /exited with code 3/],
    ['garbage', /not JSON/],
    ['huge', /over 1048576 bytes/],
  ] as const) {
    it(`a child that answers with ${what} is replaced and the job retried`, async () => {
      const job = await run('fixture', { do: what, okFromAttempt: 2 });
      assert.equal(job.status, 'done', JSON.stringify(job));
      assert.equal(job.attempts, 2);
      assert.match(job.history?.[0]?.error ?? '', reason);
    });
  }

  it('a child that keeps crashing ends the job in the dead letters, by its policy', async () => {
    const job = await run('fixture', { do: 'crash' });
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 2);
    assert.match(job.error ?? '', /exited with code 3/);
  });

  it('a child that hangs past the timeout is killed with its process group', async () => {
    const pidFile = join(dir, 'hang.pids');
    const job = await run('fixture', { do: 'hang', pidFile, okFromAttempt: 2 }, 1_000);
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 2);
    assert.match(job.history?.[0]?.error ?? '', /timed out after 1000 ms/);
    const [child, grandchild] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    await until(
      'the hung child and its grandchild to be gone',
      () => [child!, grandchild!].some(isAlive),
      (alive) => !alive,
      5_000,
    );
  });

  it('waits for a slow-starting child', async () => {
    const job = await run('fixture-slow', { do: 'ok' });
    assert.equal(job.status, 'done');
  });

  it('a child that fails its handshake fails the job by its policy; the worker lives on', async () => {
    const job = await run('fixture-broken', {});
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 2);
    assert.match(job.error ?? '', /failed to start: wrote a line that is not JSON/);
    assert.equal((await run('fixture', { do: 'ok' })).status, 'done');
  });

  it('restarts a broken program with a backoff that doubles each time', async () => {
    const backoffs = (): number[] =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.includes('"port":"fixture-broken"') && l.includes('port failed to start'))
        .map((l) => (JSON.parse(l) as { backoffMs: number }).backoffMs);
    // Run alone, nothing has used the broken program yet beyond the pool's first start.
    if (backoffs().length < 3) await run('fixture-broken', {});
    const waits = backoffs();
    // One failed start when the worker opened the pool, one per attempt of the job.
    assert.ok(waits.length >= 3, waits.join(','));
    assert.deepEqual(waits.slice(0, 3), [200, 400, 800]);
  });

  it('progress and log messages reach the job and the worker log; stderr is logged with the job id', async () => {
    const job = await run('fixture', { do: 'progress' });
    assert.equal(job.value, 'progressed');
    assert.deepEqual(job.progress, { step: 3 });
    // A log message (not debug) is a line of the job's own log too, with its level.
    assert.deepEqual(
      job.log?.map((l) => l.text),
      ['warn: fixture log line'],
    );
    const logged = await run('fixture', { do: 'stderr' });
    const lines = await until(
      'the stderr line in the worker log',
      () => worker.output(),
      (out) => out.includes(`fixture stderr for ${logged.callback}`),
    );
    const stderrLine = lines
      .split('\n')
      .find((l) => l.includes(`fixture stderr for ${logged.callback}`))!;
    assert.equal((JSON.parse(stderrLine) as { jobId: string }).jobId, logged.callback);
    const logLine = lines.split('\n').find((l) => l.includes('fixture log line'))!;
    assert.equal((JSON.parse(logLine) as { jobId: string }).jobId, job.callback);
  });

  it('the child sees a chosen environment and no job data on its command line', async () => {
    const env = (await run('fixture', { do: 'env' })).value as string[];
    assert.ok(
      env.includes('PATH') && env.includes('FIXTURE_SET') && env.includes('WORKMESH_PORT_TYPE'),
    );
    for (const secret of ['SECRET_TOKEN', 'WORKMESH_CLUSTER_SECRET', 'REDIS_URL'])
      assert.ok(!env.includes(secret), `${secret} leaked: ${env.join(',')}`);
    const argv = (await run('fixture', { do: 'argv', marker: 'data-marker' })).value as string[];
    assert.ok(!argv.join(' ').includes('data-marker'));
  });

  it('the Python example (csv-summary) processes jobs submitted over HTTP', async () => {
    const job = await run('csv-summary', { csv: 'city,temp_c\nOslo,4\nLima,19\nCairo,28\n,7\n' });
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.deepEqual(job.value, {
      rows: 4,
      columns: [
        { name: 'city', filled: 3, empty: 1, distinct: 3, numeric: false },
        {
          name: 'temp_c',
          filled: 4,
          empty: 0,
          distinct: 4,
          numeric: true,
          min: 4,
          max: 28,
          mean: 14.5,
          median: 13,
        },
      ],
    });
  });

  it('the Perl example (extract-links) processes jobs submitted over HTTP', async () => {
    const job = await run('extract-links', {
      text: '<a href="https://example.com/docs">docs</a>, see https://example.com/faq. Mail Ops@Example.com or bob@test.org.',
    });
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.deepEqual(job.value, {
      urls: ['https://example.com/docs', 'https://example.com/faq'],
      emails: ['ops@example.com', 'bob@test.org'],
      hosts: { 'example.com': 2 },
    });
  });

  it('the examples reject bad input with an error that is not retried', async () => {
    const res = await fetch(`${apiUrl}/api/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'csv-summary', data: { text: 'no csv field' } }),
    });
    assert.equal(res.status, 400); // the API checks the input schema from the ports file
    const empty = await run('csv-summary', { csv: '\n' });
    assert.equal(empty.status, 'failed');
    assert.equal(empty.attempts, 1);
  });

  it('the worker never crashed and its children go when it stops', async () => {
    assert.equal(worker.child.exitCode, null);
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++)
      pids.add(((await run('fixture', { do: 'ok' })).value as { pid: number }).pid);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    await until(
      'port children to exit',
      () => [...pids].some(isAlive),
      (alive) => !alive,
      5_000,
    );
  });
});

describe('ports file', () => {
  it('a bad ports file stops the worker with a clear error', async () => {
    const bad = join(dir, 'bad-ports.json');
    writeFileSync(bad, JSON.stringify({ ports: { thing: { command: [], shell: true } } }));
    const { code, stderr } = await runCliToEnd(['worker'], {
      REDIS_URL: redis.url,
      WORKMESH_PORTS: bad,
    });
    assert.equal(code, 1);
    assert.match(stderr, /WM_ERR_PORT_CONFIG_INVALID/);
  });
});

describe('workmesh port-check', () => {
  it('passes both examples', async () => {
    for (const [program, data] of [
      [['python3', 'examples/ports/python/csv_summary.py'], { csv: 'a,b\n1,2\n' }],
      [['perl', 'examples/ports/perl/extract_links.pl'], { text: 'https://a.example' }],
    ] as const) {
      const { code, stdout } = await runCliToEnd([
        'port-check',
        '--data',
        JSON.stringify(data),
        '--',
        ...program,
      ]);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /5 passed, 0 failed/);
      assert.match(stdout, /answers (a csv-summary|an extract-links) job/);
    }
  });

  for (const [flags, reason] of [
    [['--always', 'crash'], /answers a port-check job: exited with code 3/],
    [['--always', 'hang'], /answers a port-check job: no reply within 1500 ms/],
    [['--always', 'garbage'], /answers a port-check job: wrote a line that is not JSON/],
    [['--always', 'huge'], /answers a port-check job: wrote a line over 1048576 bytes/],
    [['--always', 'ok'], /job type it did not announce with an error reply: answered ok/],
    [
      ['--no-hello'],
      /says hello on start: said no hello within 1500 ms; if it writes one, flush stdout .*PYTHONUNBUFFERED=1/,
    ],
    [['--slow-start', '3000'], /says hello on start: said no hello within 1500 ms/],
    [['--bad-hello'], /says hello on start: wrote a line that is not JSON/],
    [['--protocol', '2'], /announces protocol 2; workers speak 1/],
    [['--ignore-eof'], /exits when its stdin closes: still running 1500 ms after its stdin closed/],
  ] as const) {
    it(`fails a fixture started with ${flags.join(' ')}, saying why`, async () => {
      const report = await checkPort({ command: ['node', FIXTURE, ...flags], timeoutMs: 1500 });
      const lines = report.results.map((r) => `${r.ok ? 'ok' : 'FAIL'} ${r.name}: ${r.detail}`);
      assert.ok(report.failed > 0, lines.join('\n'));
      assert.ok(
        lines.some((l) => l.startsWith('FAIL') && reason.test(l)),
        lines.join('\n'),
      );
    });
  }

  it('fails a program that does not exist, by exit code and report', async () => {
    const { code, stdout } = await runCliToEnd(['port-check', '--', 'no-such-program-here']);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /FAIL says hello on start: could not start: spawn no-such-program-here ENOENT/,
    );
    assert.match(stdout, /0 passed, 1 failed/);
  });
});
