import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { renderHelp } from '../src/cli/command.js';
import { submitCommand } from '../src/cli/commands/submit.js';
import { WorkmeshClient } from '../src/client/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { openShell } from '../src/shell/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCliToEnd, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/** POST /api/work/batch, the typed client's submitBatch and `workmesh submit --file` (issue 19). */
const JOBS = 'test/fixtures/dedupe.ts';
const dir = mkdtempSync(join(tmpdir(), 'workmesh-batch-'));
let redis: TestRedis;
let api: InProcessApi;
let client: WorkmeshClient;
let apiUrl: string;

before(async () => {
  redis = await startTestRedis();
  // 1,000 jobs with a file path each: a larger body than the default 1 MiB allows.
  api = await buildTestApi(redis.url, {
    WORKMESH_JOBS: JOBS,
    WORKMESH_MAX_BODY_BYTES: String(4 * 1024 * 1024),
  });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  client = new WorkmeshClient({ baseUrl: apiUrl });
  await startWorkerProcess(redis.url, { ...FAST_CLUSTER, WORKMESH_JOBS: JOBS }).ready;
});
after(async () => {
  await stopAll();
  await api.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ran(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('POST /api/work/batch', () => {
  it('answers each job on its own: good ones stored and run, bad ones refused with their code and not stored', async () => {
    const file = join(dir, 'mixed.log');
    const data = (n: number) => ({ file, user: 'm', n });
    const answer = await client.submitBatch([
      { type: 'note', data: data(0) },
      { type: 'note', data: data(1), priority: 11 },
      { type: 'nope', data: data(2) },
      { type: 'note', data: { file, n: 3 } },
      { type: 'note', data: data(4), group: 'tenant-1', priority: 2, key: 'batch-k4' },
      { type: 'note', data: data(5), dedupe: { key: 'x', ttlSec: 0, mode: 'throttle' } },
      { type: 'note', data: data(6), group: 'no spaces' },
      { type: 'note', data: data(7), dedupe: { key: 'b7', ttlSec: 30, mode: 'throttle' } },
      { type: 'note', data: data(8), dedupe: { key: 'b7', ttlSec: 30, mode: 'throttle' } },
      { type: 'note', data: data(9), maxAttempts: 0 },
      { type: 'note' } as never,
    ]);
    const codes = answer.results.map((r) => (r.ok ? 'ok' : r.error.code));
    assert.deepEqual(codes, [
      'ok',
      'WM_ERR_JOB_BAD_PRIORITY',
      'WM_ERR_JOB_UNKNOWN_TYPE',
      'WM_ERR_JOB_INVALID_DATA',
      'ok',
      'WM_ERR_JOB_BAD_DEDUPE',
      'WM_ERR_JOB_BAD_GROUP',
      'ok',
      'ok',
      'WM_ERR_API_BAD_REQUEST',
      'WM_ERR_API_NO_DATA',
    ]);
    assert.deepEqual(
      answer.results.map((r) => r.index),
      answer.results.map((_, i) => i),
    );
    assert.equal(answer.accepted, 4);
    assert.equal(answer.failed, 7);
    for (const r of answer.results) if (!r.ok) assert.ok(r.error.message.length > 0);
    // Items 7 and 8 share a throttle window: one job (either may have made it).
    const [r7, r8] = [answer.results[7]!, answer.results[8]!];
    assert.ok(r7.ok && r8.ok && r7.callback === r8.callback);
    assert.ok(r7.deduplicated || r8.deduplicated);
    // The good ones ran, the bad ones were never stored.
    await until(
      '3 runs',
      () => ran(file),
      (l) => l.length === 3,
    );
    const ns = ran(file).map((l) => Number(l.split(' ')[2]));
    assert.deepEqual(ns.filter((n) => n !== 7 && n !== 8).sort(), [0, 4]);
    const jobKeys = await redis.keys('wm:*:job:*');
    const ids = answer.results.flatMap((r) => (r.ok ? [r.callback] : []));
    assert.equal(jobKeys.length, new Set(ids).size);
    // The item's idempotency key: the same batch again answers the same job.
    const again = await client.submitBatch([
      { type: 'note', data: data(4), group: 'tenant-1', priority: 2, key: 'batch-k4' },
    ]);
    const [first, resent] = [answer.results[4]!, again.results[0]!];
    assert.ok(resent.ok && first.ok);
    assert.equal(resent.callback, first.callback);
    assert.equal(resent.duplicate, true);
  });

  it('1,000 jobs in one request: every one accepted and run once', async () => {
    const file = join(dir, 'thousand.log');
    const jobs = Array.from({ length: 1000 }, (_, n) => ({
      type: 'note',
      data: { file, user: 't', n },
    }));
    const answer = await client.submitBatch(jobs);
    assert.equal(answer.accepted, 1000, JSON.stringify(answer.results.find((r) => !r.ok)));
    assert.equal(new Set(answer.results.map((r) => r.ok && r.callback)).size, 1000);
    await until(
      '1,000 runs',
      () => ran(file),
      (l) => l.length === 1000,
      45_000,
      200,
    );
    assert.equal(new Set(ran(file).map((l) => l.split(' ')[2])).size, 1000);
  });

  it('400 only for a request malformed as a whole; nothing stored', async () => {
    const before = await redis.dbsize();
    const job = { type: 'note', data: { file: '/dev/null', user: 'w', n: 0 } };
    for (const payload of [
      [job],
      { jobs: job },
      { jobs: [] },
      { jobs: Array.from({ length: 1001 }, () => job) },
      { jobs: [job], extra: 1 },
    ]) {
      const res = await api.app.inject({ method: 'POST', url: '/api/work/batch', payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80));
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'WM_ERR_API_BAD_REQUEST');
    }
    assert.equal(await redis.dbsize(), before);
  });

  it('is in the OpenAPI document with its item schema', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    }>();
    const text = JSON.stringify(doc.paths['/api/work/batch']?.post?.requestBody);
    assert.match(text, /"maxItems":1000/);
    assert.match(text, /"priority"/);
    assert.match(text, /"dedupe"/);
    assert.match(JSON.stringify(doc.paths['/api/work']), /"group"/);
  });
});

describe("the shell's helpers", () => {
  it('submitBatch answers each job on its own; submit takes priority, group and dedupe', async () => {
    const file = join(dir, 'shell.log');
    const config = loadConfig({
      REDIS_URL: redis.url,
      ...FAST_CLUSTER,
      WORKMESH_JOBS: JOBS,
      WORKMESH_HISTORY: 'off',
    });
    const session = await openShell({
      config,
      log: createLogger('silent'),
      input: new PassThrough(),
      output: new PassThrough(),
      historyFile: '',
    });
    try {
      const { submit, submitBatch } = session.helpers;
      const data = (n: number) => ({ file, user: 's', n });
      const results = await submitBatch.fn([
        { type: 'note', data: data(1), priority: 4, group: 'g' },
        { type: 'note', data: data(2), priority: 99 },
        { type: 'note', data: data(3), group: 'bad group' },
        { type: 'note', data: data(4), dedupe: { key: 'sh', ttlSec: 30, mode: 'throttle' } },
      ]);
      assert.deepEqual(
        results.map((r) => (r.ok ? 'ok' : r.code)),
        ['ok', 'WM_ERR_JOB_BAD_PRIORITY', 'WM_ERR_JOB_BAD_GROUP', 'ok'],
      );
      const throttled = results[3]!;
      const again = await submit.fn('note', data(5), {
        dedupe: { key: 'sh', ttlSec: 30, mode: 'throttle' },
      });
      assert.ok(throttled.ok);
      assert.equal(again, throttled.id);
      await until(
        '2 runs',
        () => ran(file),
        (l) => l.length === 2,
      );
    } finally {
      await session.close();
    }
  });
});

describe('workmesh submit --file', () => {
  it('one job per line: per-line results, a summary, exit code 1 when any failed', async () => {
    const file = join(dir, 'cli.log');
    const ndjson = join(dir, 'jobs.ndjson');
    writeFileSync(
      ndjson,
      [
        JSON.stringify({ type: 'note', data: { file, user: 'c', n: 1 } }),
        '',
        JSON.stringify({ type: 'note', data: { file, user: 'c', n: 2 }, priority: 20 }),
        'not json',
        JSON.stringify({ data: { file, user: 'c', n: 3 } }),
        JSON.stringify({ type: 'note', data: { file, user: 'c', n: 4 }, group: 'g1' }),
      ].join('\n') + '\n',
    );
    const env = { WORKMESH_API_URL: apiUrl, WORKMESH_LOG_LEVEL: 'warn' };
    const res = await runCliToEnd(['submit', '--file', ndjson, '--type', 'note'], env);
    assert.equal(res.code, 1, res.stderr);
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; ok: boolean; error?: { code: string } });
    assert.deepEqual(
      lines.map((l) => [l.line, l.ok ? 'ok' : l.error!.code]),
      [
        [1, 'ok'],
        [3, 'WM_ERR_JOB_BAD_PRIORITY'],
        [4, 'WM_ERR_CLI_USAGE'],
        [5, 'ok'],
        [6, 'ok'],
      ],
    );
    assert.match(res.stderr, /3 of 5 jobs accepted, 2 failed/);
    await until(
      '3 runs',
      () => ran(file),
      (l) => l.length === 3,
    );
  });

  it('--help explains it', () => {
    const help = renderHelp(submitCommand);
    assert.match(help, /--file/);
    assert.match(help, /one job per line/);
    assert.match(help, /Exit code: 0 every job accepted, 1 any failed/);
  });
});
