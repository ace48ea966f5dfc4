import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, readMembers } from '../src/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { createLogger } from '../src/log/index.js';
import { ROOT, runScript, stopProcess, type RoleProcess } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

const EXAMPLES = join(ROOT, 'examples/library');

/** Runs an example as a process of its own; answers it once its output matches `ready`. */
async function example(
  file: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ proc: RoleProcess; match: RegExpMatchArray }> {
  const proc = runScript(join(EXAMPLES, file), [], { WORKMESH_LOG_LEVEL: 'warn', ...env });
  const failed = proc.exited.then((code) => {
    throw new Error(`${file} exited ${code}:\n${proc.output()}`);
  });
  failed.catch(() => undefined);
  const output = await Promise.race([
    until(
      `${file} ready`,
      () => proc.output(),
      (out) => ready.test(out),
      60_000,
    ),
    failed,
  ]);
  return { proc, match: output.match(ready)! };
}

describe('examples (examples/library), each run as its own process', () => {
  let redis: TestRedis;
  let env: Record<string, string>;
  let worker: { proc: RoleProcess; match: RegExpMatchArray };

  before(async () => {
    redis = await startTestRedis();
    env = { REDIS_URL: redis.url, PORT: '0' };
    // The worker embedded in a process of its own runs the jobs of every example below.
    worker = await example('embedded-worker.ts', env, /worker (\S+) runs (.+)/);
  });

  after(async () => {
    await redis.stop();
  });

  it('the embedded worker runs the job module and is a cluster node', async () => {
    assert.match(worker.match[2]!, /resize/);
    assert.match(worker.match[2]!, /greet/);
    const conn = connectRedis(redis.url, createLogger('silent'));
    try {
      const keys = new Keys(loadConfig({}).prefix);
      const members = await readMembers(conn, keys);
      assert.ok(members.some((m) => m.id === worker.match[1] && m.role === 'worker'));
    } finally {
      conn.disconnect();
    }
  });

  it('a producer inside a Fastify app adds typed jobs, reads and waits for them', async () => {
    const { proc, match } = await example('fastify-producer.ts', env, /listening on (\S+)/);
    const base = match[1]!;
    const res = await fetch(`${base}/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/cat.png', width: 640 }),
    });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const result = await fetch(`${base}/images/${id}/result`);
    assert.deepEqual(await result.json(), {
      status: 'done',
      size: { url: 'https://example.com/cat.png', width: 640, height: 480 },
    });
    const state = (await (await fetch(`${base}/images/${id}`)).json()) as { status: string };
    assert.equal(state.status, 'done');
    // Bad data: the job type's own check, answered 400 with its code; nothing queued.
    const bad = await fetch(`${base}/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'not a url', width: 640 }),
    });
    assert.equal(bad.status, 400);
    assert.equal(
      ((await bad.json()) as { error: { code: string } }).error.code,
      'WM_ERR_JOB_INVALID_DATA',
    );
    await stopProcess(proc);
    assert.equal(await proc.exited, 0, proc.output());
  });

  it('a producer inside an Express app', async () => {
    const { proc, match } = await example('express.ts', env, /listening on (\S+)/);
    const base = match[1]!;
    const res = await fetch(`${base}/greetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada' }),
    });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    assert.deepEqual(await (await fetch(`${base}/greetings/${id}`)).json(), {
      status: 'done',
      greeting: 'hello, ada',
    });
    const bad = await fetch(`${base}/greetings/not-an-id`);
    assert.equal(bad.status, 400);
    await stopProcess(proc);
    assert.equal(await proc.exited, 0, proc.output());
  });

  it('the embedded worker stops on SIGTERM and leaves the cluster', async () => {
    await stopProcess(worker.proc);
    assert.equal(await worker.proc.exited, 0, worker.proc.output());
    assert.match(worker.proc.output(), /worker stopped/);
    const conn = connectRedis(redis.url, createLogger('silent'));
    try {
      const members = await readMembers(conn, new Keys(loadConfig({}).prefix));
      assert.ok(!members.some((m) => m.id === worker.match[1]));
    } finally {
      conn.disconnect();
    }
  });
});
