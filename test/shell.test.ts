import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ClusterNode } from '../src/cluster/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { openShell } from '../src/shell/index.js';
import { FAST_CLUSTER, startTestNode } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { runCli, runCliToEnd, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

const ENV = { ...FAST_CLUSTER, WORKMESH_PERMUTE_DELAY_MS: '0', WORKMESH_HISTORY: 'off' };
let redis: TestRedis;
let node: ClusterNode;
let workerId: string;

before(async () => {
  redis = await startTestRedis();
  node = await startTestNode(redis.url);
  workerId = (await startWorkerProcess(redis.url, ENV).ready).nodeId;
});
after(async () => {
  await node.stop();
  await stopAll();
  await redis.stop();
});

describe('workmesh shell', () => {
  it('joins the cluster; call, submit + wait and .help work at its prompt', async () => {
    const shell = runCli(['shell'], { REDIS_URL: redis.url, ...ENV }, 'pipe');
    const stdin = shell.child.stdin!;
    await until(
      'the prompt',
      () => shell.output(),
      (o) => o.includes('workmesh> '),
    );
    const members = await until(
      'the shell in the cluster',
      () => node.readMembers(),
      (m) => m.some((x) => x.role === 'shell'),
    );
    assert.ok(members.find((m) => m.role === 'shell')!.id.startsWith('shell-'));

    stdin.write(`await call('${workerId}', 'ping')\n`);
    await until(
      'the ping answer',
      () => shell.output(),
      (o) => o.includes(`node: '${workerId}'`),
    );
    stdin.write("(await wait(await submit('hash', { text: 'abc' }))).value.hex\n");
    await until(
      'the job result',
      () => shell.output(),
      (o) => o.includes("'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'"),
    );
    stdin.write('.help\n');
    await until(
      'the helpers',
      () => shell.output(),
      (o) => o.includes('submit(type, data') && o.includes('stats() —'),
    );
    stdin.end();
    assert.equal(await shell.exited, 0);
    await until(
      'the shell to leave',
      () => node.readMembers(),
      (m) => !m.some((x) => x.role === 'shell'),
    );
  });

  it('-e prints the result as JSON and sets the exit code', async () => {
    const env = { REDIS_URL: redis.url, ...ENV };
    const ok = await runCliToEnd(['shell', '-e', '(await nodes()).map((n) => n.role).sort()'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), ['shell', 'test', 'worker']);
    const call = await runCliToEnd(
      ['shell', '-e', "call('worker', 'run', { type: 'permute', data: 'ab' })"],
      env,
    );
    assert.ok(
      ['"ab"', '"ba"'].includes(call.stdout.trim()),
      `exit ${call.code}; stdout: ${call.stdout}; stderr: ${call.stderr}`,
    );
    const bad = await runCliToEnd(['shell', '-e', "call('worker', 'nope')"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /has no function "nope"/);
  });

  it('completes helpers and node ids, and survives a Redis restart', async () => {
    const output = new PassThrough();
    let text = '';
    output.on('data', (c: Buffer) => (text += c.toString()));
    const config = loadConfig({ REDIS_URL: redis.url, ...ENV });
    const session = await openShell({
      config,
      log: createLogger('silent'),
      input: new PassThrough(),
      output,
      historyFile: '',
    });
    try {
      const [helpers] = await session.complete('sub');
      assert.ok(helpers.includes('submit'));
      const [ids, partial] = await session.complete("call('work");
      assert.equal(partial, 'work');
      assert.ok(ids.includes(workerId) && ids.includes('worker'));

      const jobEvents: string[] = [];
      session.helpers.on.fn('job', (e) => jobEvents.push((e as { status: string }).status));
      await session.helpers.wait.fn(await session.helpers.submit.fn('hash', { text: 'watched' }));
      await until(
        'the job events',
        () => jobEvents,
        (e) => e.includes('done'),
      );
      assert.deepEqual(jobEvents.slice(0, 3), ['accepted', 'pending', 'done']);

      // Flows at hand: submit a tree, wait for its root, draw it.
      const flowId = (await session.helpers.flow.fn({
        type: 'hash',
        data: { text: 'parent' },
        children: [{ type: 'hash', data: { text: 'child' } }],
      })) as string;
      assert.equal((await session.helpers.wait.fn(flowId))?.status, 'done');
      assert.match(
        String(await session.helpers.flow.fn(flowId)),
        /^✔ hash\.\S+ done = .*\n└─ ✔ hash\.\S+ done = /,
      );

      await redis.restart();
      await until(
        'the outage to be reported',
        () => text,
        (t) => t.includes('Redis is unavailable'),
      );
      await until(
        'the reconnect to be reported',
        () => text,
        (t) => t.includes('Redis is back'),
      );
      const roles = await until(
        'the nodes to register again',
        () => session.helpers.nodes.fn().then((m) => m.map((x) => x.role)),
        (r) => r.includes('worker') && r.includes('shell'),
      );
      assert.ok(roles.includes('shell'));
    } finally {
      await session.close();
    }
  });
});
