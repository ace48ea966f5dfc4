import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { loadConfig } from '../src/config/index.js';
import { createRegistry } from '../src/jobs/index.js';
import { Producer } from '../src/queue/index.js';
import { Submitter } from '../src/submit/index.js';
import { WorkmeshClient } from '../src/client/index.js';
import { Keys } from '../src/redis/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  ROOT,
  runCli,
  startApiProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * The submitting request's trace context travels with the job across processes: the test
 * starts a span, POSTs with its traceparent to a real API process, and a worker process that
 * has the SDK preloaded (fixtures/otel-preload.ts) runs the job in a span that is its child.
 */
const JOBS = fileURLToPath(new URL('./fixtures/jobs.ts', import.meta.url));
const EXAMPLE_OTEL = fileURLToPath(new URL('../examples/tracing/otel.ts', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./fixtures/otel-preload.ts', import.meta.url));

interface SpanLine {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  parentIsRemote?: boolean;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  scope: string;
}

let redis: TestRedis;
let url: string;
let worker: RoleProcess;
const spansFile = join(tempDir('tracing'), 'spans.jsonl');
const keys = new Keys('wm');

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
  worker = runCli(
    ['worker'],
    {
      REDIS_URL: redis.url,
      WORKMESH_JOBS: JOBS,
      WORKMESH_PERMUTE_DELAY_MS: '0',
      WORKMESH_TEST_SPANS: spansFile,
    },
    'ignore',
    ['--import', PRELOAD],
  );
  url = (await api.ready).url!;
  await worker.ready;
});
after(async () => {
  await stopAll();
  await redis.stop();
});

function spans(): SpanLine[] {
  if (!existsSync(spansFile)) return [];
  return readFileSync(spansFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SpanLine);
}

async function spanOf(jobId: string): Promise<SpanLine> {
  const found = await until(
    `the span of ${jobId}`,
    () => spans().filter((s) => s.attributes['workmesh.job.id'] === jobId),
    (list) => list.length > 0,
  );
  return found[0]!;
}

async function submit(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; id: string }> {
  const res = await fetch(`${url}/api/work`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { callback: string };
  return { status: res.status, id: answer.callback };
}

/** A span of this (the test's) process, standing for the application's request. */
function startRequestSpan() {
  const tracer = new BasicTracerProvider().getTracer('test-app');
  const span = tracer.startSpan('POST /checkout');
  const sc = span.spanContext();
  return { span, sc, traceparent: `00-${sc.traceId}-${sc.spanId}-01` };
}

describe('tracing across processes', () => {
  it("each attempt's span is a child of the submitting request's span", async () => {
    const { span, sc, traceparent } = startRequestSpan();
    const { status, id } = await submit(
      { type: 'permute', data: 'abc' },
      { traceparent, tracestate: 'vendor=opaque' },
    );
    span.end();
    assert.equal(status, 202);
    // Stored with the job, in its opts (docs/protocol.md).
    const opts = JSON.parse((await redis.client.hget(keys.job(id), 'opts')) ?? '{}') as Record<
      string,
      unknown
    >;
    assert.equal(opts.traceparent, traceparent);
    assert.equal(opts.tracestate, 'vendor=opaque');
    const client = new WorkmeshClient({ baseUrl: url });
    assert.equal((await client.wait(id, { timeoutMs: 20_000 })).status, 'done');

    const attempt = await spanOf(id);
    assert.equal(attempt.traceId, sc.traceId);
    assert.equal(attempt.parentSpanId, sc.spanId);
    assert.equal(attempt.parentIsRemote, true);
    assert.equal(attempt.traceState, 'vendor=opaque');
    assert.equal(attempt.kind, SpanKind.CONSUMER);
    assert.equal(attempt.scope, 'workmesh');
    assert.equal(attempt.attributes['workmesh.job.type'], 'permute');
    assert.equal(attempt.attributes['workmesh.job.attempt'], 1);
    assert.equal(attempt.attributes['messaging.system'], 'workmesh');
    assert.notEqual(attempt.status.code, SpanStatusCode.ERROR);
  });

  it('a failed attempt has an error status with its message; each retry its own span', async () => {
    const { span, sc, traceparent } = startRequestSpan();
    const { id } = await submit(
      { type: 'boom', data: 'traced', maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
      { traceparent },
    );
    span.end();
    const found = await until(
      'two attempt spans',
      () => spans().filter((s) => s.attributes['workmesh.job.id'] === id),
      (list) => list.length >= 2,
    );
    assert.deepEqual(found.map((s) => s.attributes['workmesh.job.attempt']).sort(), [1, 2]);
    for (const s of found) {
      assert.equal(s.traceId, sc.traceId);
      assert.equal(s.parentSpanId, sc.spanId);
      assert.equal(s.status.code, SpanStatusCode.ERROR);
      assert.equal(s.status.message, 'boom: traced');
    }
  });

  it('a job without a trace context stores none and gets a root span; a bad header is ignored', async () => {
    const plain = await submit({ type: 'permute', data: 'xyz' });
    const bad = await submit(
      { type: 'permute', data: 'xyz2' },
      { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' },
    );
    assert.equal(plain.status, 202);
    assert.equal(bad.status, 202);
    for (const { id } of [plain, bad]) {
      const opts = (await redis.client.hget(keys.job(id), 'opts')) ?? '';
      assert.doesNotMatch(opts, /trace/);
      const s = await spanOf(id);
      assert.equal(s.parentSpanId, undefined);
    }
  });
});

describe('examples/tracing', () => {
  it("the example's worker prints the attempt's span in the trace of the example's request", async () => {
    await stopProcess(worker); // the example's worker takes the job
    const example = runCli(
      ['worker'],
      { REDIS_URL: redis.url, WORKMESH_PERMUTE_DELAY_MS: '0' },
      'ignore',
      ['--import', EXAMPLE_OTEL],
    );
    await example.ready;
    const app = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', EXAMPLE_OTEL, join(ROOT, 'examples/tracing/submit.ts')],
      { cwd: ROOT, env: { ...process.env, WORKMESH_URL: url }, encoding: 'utf8' },
    );
    assert.equal(app.status, 0, app.stderr);
    const [, traceId, jobId] = /trace ([0-9a-f]{32}) job (\S+)/.exec(app.stdout) ?? [];
    assert.ok(traceId && jobId, app.stdout);
    const client = new WorkmeshClient({ baseUrl: url });
    assert.equal((await client.wait(jobId, { timeoutMs: 20_000 })).status, 'done');
    await until(
      "the attempt's span on the worker's stdout",
      () => example.output(),
      (out) => out.includes(`traceId: '${traceId}'`) && out.includes("name: 'permute process'"),
    );
  });
});

describe('in-process submit', () => {
  it("a job submitted inside an active span stores that span's context", async () => {
    const provider = new NodeTracerProvider();
    provider.register();
    const config = loadConfig({ REDIS_URL: redis.url });
    const registry = await createRegistry({ permuteDelayMs: 0 });
    const submitter = new Submitter({
      config,
      registry,
      producer: new Producer(redis.client, keys, 'tracing-test'),
      redis: redis.client,
      keys,
    });
    const tracer = trace.getTracer('test-app');
    const { id, sc } = await tracer.startActiveSpan('in-process', async (span) => {
      const submitted = await submitter.submit({ type: 'permute', data: 'in-process' });
      span.end();
      return { id: submitted.id, sc: span.spanContext() };
    });
    const opts = JSON.parse((await redis.client.hget(keys.job(id), 'opts')) ?? '{}') as {
      traceparent?: string;
    };
    assert.equal(opts.traceparent, `00-${sc.traceId}-${sc.spanId}-01`);
    // Outside any span: none.
    const plain = await submitter.submit({ type: 'permute', data: 'no span' });
    assert.doesNotMatch((await redis.client.hget(keys.job(plain.id), 'opts')) ?? '', /trace/);
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
});
