import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { WorkmeshClient, type FlowNode, type JobState } from '../src/client/index.js';
import { FlowDelivery, planFlow } from '../src/flow/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { createLogger } from '../src/log/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  ROOT,
  runCliToEnd,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * Flows and chains (docs/workflows.md) with a real API and real worker processes: fan-in
 * exactly once, the failure policies, chains, cancelling, reviving, redelivery from the
 * outbox, a worker killed mid fan-in, bad input. On a Redis Cluster (npm run test:cluster) the
 * fixture types' queues sit on different masters: a parent and its children never share a slot.
 */
const JOBS = join(ROOT, 'test/fixtures/flow-jobs.ts');
const PORTS = join(ROOT, 'test/fixtures/ports/ports.json');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  WORKMESH_BACKOFF_MS: '50',
  WORKMESH_CLAIM_TIMEOUT_MS: '1500',
  WORKMESH_CONCURRENCY: '10',
  // A flow of 5,001 nodes reaches the flow's own size check (the body limit is 10,000 items).
  WORKMESH_MAX_JSON_KEYS: '100000',
};
const dir = tempDir('workflows');
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
let conn: Redis;
const keys = new Keys('wm');
const workers: RoleProcess[] = [];

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { ...ENV, WORKMESH_PORTS: PORTS });
  for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(redis.url, ENV));
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
  await Promise.all(workers.map((w) => w.ready));
  conn = connectRedis(redis.url, createLogger('silent'), { name: 'workflows-test' });
});
after(async () => {
  conn?.disconnect();
  await stopAll();
  await redis.stop();
});

let fileNo = 0;
function file(): string {
  return join(dir, `runs-${++fileNo}.log`);
}

function wait(id: string): Promise<JobState> {
  return client.wait(id, { timeoutMs: 45_000 });
}

interface Outcome {
  id: string;
  status: string;
  value?: unknown;
  error?: string;
}

describe('flows', () => {
  it('the types of parent and children live on different masters of the test cluster', async (t) => {
    if (!ON_CLUSTER) return t.skip('cluster only');
    const slots = (await conn.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const master = async (queue: string) => {
      const slot = await conn.cluster('KEYSLOT', `{${queue}}`);
      return slots.find(([from, to]) => from <= slot && slot <= to)?.[2][1];
    };
    const [leaf, gather, step, sum] = await Promise.all(
      ['leaf', 'gather', 'step', 'sum'].map(master),
    );
    assert.notEqual(leaf, gather);
    assert.notEqual(step, sum);
  });

  it('fan-out of 100 children over 3 workers: the parent runs once and reads the 100 values in order', async (t) => {
    const runs = file();
    const leaves = file();
    const flow: FlowNode = {
      type: 'gather',
      data: { file: runs },
      children: Array.from({ length: 100 }, (_, i) => ({
        type: 'leaf',
        data: { v: i, file: leaves, ms: 5 },
      })),
    };
    const accepted = await client.submitFlow(flow);
    assert.equal(accepted.nodes, 101);
    const state = await wait(accepted.flow);
    assert.equal(state.status, 'done', state.error);
    const values = (state.value as Outcome[]).map((c) => c.value);
    assert.deepEqual(
      values,
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(readExecutions(runs, accepted.flow).length, 1);
    const pids = new Set(readExecutions(leaves).map((e) => e.pid));
    t.diagnostic(`children ran on ${pids.size} worker processes`);
    const tree = await client.flow(accepted.flow);
    assert.equal(tree.children.length, 100);
    assert.ok(tree.children.every((c) => c.status === 'done'));
  });

  it("the flow's event stream sends the tree as it changes and ends when the root is final", async () => {
    const { flow } = await client.submitFlow({
      type: 'gather',
      data: {},
      children: [{ type: 'leaf', data: { v: 1, ms: 300 } }],
    });
    const response = await fetch(`${apiUrl}/api/flows/${flow}/events`);
    assert.equal(response.status, 200);
    const text = await response.text(); // the server ends the stream once the root is final
    const trees = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { status: string; children: { status: string }[] });
    assert.ok(trees.length >= 2, text);
    assert.equal(trees[0]?.status, 'accepted');
    assert.equal(trees.at(-1)?.status, 'done');
    assert.equal(trees.at(-1)?.children[0]?.status, 'done');
  });

  it('policy fail (the default): a child failed for good fails its parent, which never runs', async () => {
    const runs = file();
    const { flow } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: [
        { type: 'leaf', data: { v: 1 } },
        { type: 'leaf', data: { v: 2, fatal: true } },
      ],
    });
    const state = await wait(flow);
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', /child leaf\.\S+ failed: leaf 2 gave up/);
    assert.equal(readExecutions(runs).length, 0);
  });

  it('policy ignore: the parent runs without the failed child; policy continue: with it listed', async () => {
    const ignore = await client.submitFlow({
      type: 'gather',
      data: {},
      children: [
        { type: 'leaf', data: { v: 1 } },
        { type: 'leaf', data: { v: 2, fatal: true }, onFail: 'ignore' },
        { type: 'leaf', data: { v: 3 } },
      ],
    });
    const cont = await client.submitFlow({
      type: 'gather',
      data: {},
      children: [
        { type: 'leaf', data: { v: 1 } },
        { type: 'leaf', data: { v: 2, fatal: true }, onFail: 'continue' },
      ],
    });
    const ignored = await wait(ignore.flow);
    assert.equal(ignored.status, 'done');
    assert.deepEqual(
      (ignored.value as Outcome[]).map((c) => c.value),
      [1, 3],
    );
    const continued = await wait(cont.flow);
    assert.equal(continued.status, 'done');
    const [first, second] = continued.value as Outcome[];
    assert.equal(first?.status, 'done');
    assert.equal(second?.status, 'failed');
    assert.equal(second?.error, 'leaf 2 gave up');
  });

  it('a child being retried keeps its parent waiting: the parent starts after its last attempt', async () => {
    const runs = file();
    const { flow, ids } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: [
        {
          type: 'leaf',
          data: { v: 'late', fails: 2, file: runs },
          maxAttempts: 3,
          backoff: { type: 'fixed', delayMs: 100 },
        },
      ],
    });
    const state = await wait(flow);
    assert.equal(state.status, 'done');
    assert.deepEqual(
      (state.value as Outcome[]).map((c) => c.value),
      ['late'],
    );
    const order = readExecutions(runs).map((e) => e.id);
    assert.deepEqual(order, [ids[1], ids[1], ids[1], flow]);
  });

  it('a child counted twice (a redelivered outbox entry) is counted once: the parent never runs again', async () => {
    const runs = file();
    const { flow, ids } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: [{ type: 'leaf', data: { v: 7 } }],
    });
    assert.equal((await wait(flow)).status, 'done');
    const child = ids[1]!;
    // As if the worker that finished the child died before removing its outbox entry: the
    // sweepers deliver it again, and the parent's queue finds it counted.
    await conn.zadd(keys.notify('leaf'), Date.now() - 10_000, child);
    await until(
      'the sweeper to redeliver it',
      () => conn.zscore(keys.notify('leaf'), child),
      (score) => score === null,
    );
    const delivery = new FlowDelivery(conn, keys, 600);
    assert.equal(await delivery.deliver(child), 'duplicate');
    assert.equal(readExecutions(runs, flow).length, 1);
    assert.equal((await client.status(flow)).status, 'done');
  });

  it("a port as a parent: its job request carries the children's outcomes", async () => {
    const port = startWorkerProcess(redis.url, {
      ...ENV,
      WORKMESH_PORTS: PORTS,
      WORKMESH_TYPES: 'fixture',
    });
    await port.ready;
    const { flow } = await client.submitFlow({
      type: 'fixture',
      data: { do: 'children' },
      children: [
        { type: 'leaf', data: { v: 'x' } },
        { type: 'leaf', data: { v: 'y', fatal: true }, onFail: 'continue' },
      ],
    });
    const state = await wait(flow);
    assert.equal(state.status, 'done', state.error);
    const [x, y] = state.value as Outcome[];
    assert.equal(x?.value, 'x');
    assert.equal(y?.status, 'failed');
    await stopProcess(port);
  });

  it('nested flows: a grandchild failed for good fails its parent, then the root', async () => {
    const runs = file();
    const { flow } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: [
        { type: 'leaf', data: { v: 1 } },
        {
          type: 'gather',
          data: { file: runs },
          children: [{ type: 'leaf', data: { v: 2, fatal: true } }],
        },
      ],
    });
    const state = await wait(flow);
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', /child gather\.\S+ failed: child leaf\./);
    assert.equal(readExecutions(runs).length, 0);
  });

  it('cancelling a flow cancels every node not final; its parent never runs', async () => {
    const runs = file();
    const release = join(dir, 'never');
    const { flow, ids } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: Array.from({ length: 4 }, (_, i) => ({
        type: 'leaf',
        data: { v: i, file: runs, release },
      })),
    });
    await until(
      'the children to run',
      () => readExecutions(runs).length,
      (n) => n === 4,
    );
    const answer = await client.cancelFlow(flow);
    assert.equal(answer.cancelled, 5);
    for (const id of ids) assert.equal((await client.status(id)).status, 'cancelled');
    assert.equal(readExecutions(runs, flow).length, 0);
    const tree = await client.flow(flow);
    assert.ok([tree, ...tree.children].every((n) => n.status === 'cancelled'));
  });

  it('reviving a dead child: the failed parent stays failed (counted once); revived, the parent runs once with its value', async () => {
    const runs = file();
    const { flow, ids } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: [
        { type: 'leaf', data: { v: 'a' } },
        { type: 'leaf', data: { v: 'b', fails: 1, file: runs }, maxAttempts: 1 },
      ],
    });
    assert.equal((await wait(flow)).status, 'failed');
    const child = ids[2]!;
    await client.retryDead(child);
    assert.equal((await wait(child)).status, 'done');
    await until(
      'the revived child delivered',
      () => conn.zscore(keys.notify('leaf'), child),
      (score) => score === null,
    );
    assert.equal((await client.status(flow)).status, 'failed');
    await client.retryDead(flow);
    const state = await wait(flow);
    assert.equal(state.status, 'done');
    assert.deepEqual(
      (state.value as Outcome[]).map((c) => c.value),
      ['a', 'b'],
    );
    assert.equal(readExecutions(runs, flow).length, 1);
  });
});

describe('chains', () => {
  it('a chain of 5 steps passes each value to the next (steps on different masters)', async () => {
    const runs = file();
    const { flow, ids } = await client.submitChain([
      { type: 'step', data: { add: 1, file: runs } },
      { type: 'sum', data: { times: 2, file: runs } },
      { type: 'step', data: { add: 3, file: runs } },
      { type: 'sum', data: { times: 4, file: runs } },
      { type: 'step', data: { add: 5, file: runs } },
    ]);
    const state = await wait(flow);
    assert.equal(state.status, 'done');
    assert.equal(state.value, (1 * 2 + 3) * 4 + 5);
    // ids: the last step first; the steps ran first to last.
    assert.deepEqual(
      readExecutions(runs).map((e) => e.id),
      [...ids].reverse(),
    );
  });

  it("`workmesh flow <id>` draws the tree with each node's status and value", async () => {
    const { flow, ids } = await client.submitChain([
      { type: 'step', data: { add: 2 } },
      { type: 'sum', data: { times: 3 } },
    ]);
    await wait(flow);
    const { code, stdout, stderr } = await runCliToEnd(['flow', flow], {
      WORKMESH_API_URL: apiUrl,
    });
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `✔ ${flow} done = 6\n└─ ✔ ${ids[1]} done = 2\n`);
  });

  it('the shell: flow(tree) and chain(steps) submit, flow(id) draws the tree, cancelFlow(id) cancels', async () => {
    const env = { REDIS_URL: redis.url, ...ENV };
    const shell = async (code: string): Promise<unknown> => {
      const run = await runCliToEnd(['shell', '-e', code], env);
      assert.equal(run.code, 0, `${code}: ${run.stderr}`);
      return JSON.parse(run.stdout);
    };
    const flow = (await shell(
      "flow({ type: 'gather', data: {}, children: [{ type: 'leaf', data: { v: 1 } }, { type: 'leaf', data: { v: 2 } }] })",
    )) as string;
    const state = await wait(flow);
    assert.equal(state.status, 'done');
    assert.deepEqual(
      (state.value as { value: unknown }[]).map((c) => c.value),
      [1, 2],
    );
    const drawn = (await shell(`flow(${JSON.stringify(flow)})`)) as string;
    assert.match(drawn, new RegExp(`✔ ${flow.replace('.', '\\.')} done`));
    assert.equal(drawn.split('\n').filter((l) => /leaf\..* done = [12]/.test(l)).length, 2);
    const chain = (await shell(
      "chain([{ type: 'step', data: { add: 2 } }, { type: 'sum', data: { times: 5 } }])",
    )) as string;
    assert.equal((await wait(chain)).value, 10);
    const held = (await shell(
      `flow({ type: 'gather', data: {}, children: [{ type: 'leaf', data: { v: 'held', release: ${JSON.stringify(file())} } }] })`,
    )) as string;
    assert.equal(await shell(`cancelFlow(${JSON.stringify(held)})`), 2);
    assert.equal((await wait(held)).status, 'cancelled');
  });

  it('a step failed for good stops the chain: the later steps never run', async () => {
    const runs = file();
    const { flow, ids } = await client.submitChain([
      { type: 'step', data: { add: 1, file: runs } },
      { type: 'step', data: { add: 1, file: runs, fatal: true } },
      { type: 'sum', data: { times: 2, file: runs } },
      { type: 'step', data: { add: 1, file: runs } },
    ]);
    const state = await wait(flow);
    assert.equal(state.status, 'failed');
    assert.deepEqual(
      readExecutions(runs).map((e) => e.id),
      [ids[3], ids[2]],
    );
    assert.equal((await client.status(ids[1]!)).status, 'failed');
  });
});

describe('bad input: 400 with a catalogue code, nothing stored', () => {
  const deep = (levels: number): FlowNode =>
    levels === 1
      ? { type: 'leaf', data: { v: 0 } }
      : { type: 'gather', data: {}, children: [deep(levels - 1)] };
  const cases: [string, unknown, string][] = [
    [
      'an unknown type deep in the tree',
      {
        flow: {
          type: 'gather',
          data: {},
          children: [{ type: 'gather', data: {}, children: [{ type: 'nope' }] }],
        },
      },
      'WM_ERR_JOB_UNKNOWN_TYPE',
    ],
    [
      'data its type refuses',
      { flow: { type: 'gather', data: {}, children: [{ type: 'leaf', data: { w: 1 } }] } },
      'WM_ERR_JOB_INVALID_DATA',
    ],
    ['a tree 13 levels deep', { flow: deep(13) }, 'WM_ERR_FLOW_TOO_DEEP'],
    [
      'a tree of 5,001 nodes',
      {
        flow: {
          type: 'gather',
          data: {},
          children: Array.from({ length: 5000 }, () => ({ type: 'leaf', data: { v: 0 } })),
        },
      },
      'WM_ERR_FLOW_TOO_LARGE',
    ],
    [
      'an unknown failure policy',
      {
        flow: {
          type: 'gather',
          data: {},
          children: [{ type: 'leaf', data: { v: 0 }, onFail: 'maybe' }],
        },
      },
      'WM_ERR_FLOW_INVALID',
    ],
    ['an empty chain', { chain: [] }, 'WM_ERR_FLOW_INVALID'],
    ['both a flow and a chain', { flow: { type: 'leaf' }, chain: [] }, 'WM_ERR_FLOW_INVALID'],
  ];
  for (const [what, body, code] of cases) {
    it(what, async () => {
      const before = (await redis.keys('wm:*:job:*')).length;
      const response = await fetch(`${apiUrl}/api/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(response.status, 400, JSON.stringify(answer));
      assert.equal(answer.error.code, code, answer.error.message);
      assert.equal((await redis.keys('wm:*:job:*')).length, before);
    });
  }

  it('a depth of 12 is accepted', async () => {
    const { flow, nodes } = await client.submitFlow(deep(12));
    assert.equal(nodes, 12);
    assert.equal((await wait(flow)).status, 'done');
  });

  it('a cycle (the same node twice) is refused before anything is planned', () => {
    const kid: FlowNode = { type: 'leaf', data: { v: 0 } };
    assert.throws(
      () =>
        planFlow({ type: 'gather', data: {}, children: [kid, kid] }, (job) => ({
          type: job.type,
          queues: [job.type],
          job: { data: job.data, resultTtlSec: 60, maxAttempts: 1 },
        })),
      (err: { code?: string }) => err.code === 'WM_ERR_FLOW_INVALID',
    );
  });
});

describe('a worker killed in the middle of a fan-in', () => {
  it('SIGKILL of a worker while children run: every child is counted once, the parent starts exactly once', async () => {
    const runs = file();
    const leaves = file();
    const victim = startWorkerProcess(redis.url, { ...ENV, WORKMESH_TYPES: 'leaf' });
    const { nodeId } = await victim.ready;
    const { flow } = await client.submitFlow({
      type: 'gather',
      data: { file: runs },
      children: Array.from({ length: 60 }, (_, i) => ({
        type: 'leaf',
        data: { v: i, file: leaves, ms: 150 },
      })),
    });
    const victimPid = victim.child.pid;
    await until(
      'the victim to run some children',
      () => readExecutions(leaves).filter((e) => e.pid === victimPid).length,
      (n) => n >= 3,
    );
    assert.ok(readExecutions(leaves).length < 60, 'children still to run when killed');
    await stopProcess(victim, 'SIGKILL');
    const state = await wait(flow);
    assert.equal(state.status, 'done', `${state.error} (victim ${nodeId})`);
    assert.deepEqual(
      (state.value as Outcome[]).map((c) => c.value),
      Array.from({ length: 60 }, (_, i) => i),
    );
    assert.equal(readExecutions(runs, flow).length, 1);
  });
});
