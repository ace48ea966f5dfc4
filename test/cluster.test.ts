import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterNode, Member } from '../src/cluster/index.js';
import { isWorkmeshError } from '../src/errors/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';
import {
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from './helpers/processes.js';

let redis: TestRedis;
let node: ClusterNode;
let apiUrl: string;
let apiId: string;
const workers: { proc: RoleProcess; id: string }[] = [];

before(async () => {
  redis = await startTestRedis();
  node = await startTestNode(redis.url);
  const env = { ...FAST_CLUSTER, WORKMESH_PERMUTE_DELAY_MS: '2000' };
  const api = startApiProcess(redis.url, env);
  const procs = [1, 2, 3].map(() => startWorkerProcess(redis.url, env));
  const ready = await api.ready;
  apiUrl = ready.url!;
  apiId = ready.nodeId;
  for (const proc of procs) workers.push({ proc, id: (await proc.ready).nodeId });
});
after(async () => {
  await node.stop();
  await stopAll();
  await redis.stop();
});

/** The counts of messages a node dropped, by reason, from its stats call. */
async function droppedBy(target: string): Promise<Record<string, number>> {
  return ((await node.call(target, 'stats')) as { dropped: Record<string, number> }).dropped;
}

async function clusterMembers(): Promise<Member[]> {
  const res = await fetch(`${apiUrl}/api/cluster`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { nodes: Member[] }).nodes;
}

describe('membership', () => {
  it('lists the API and 3 workers with their figures as soon as they are up', async () => {
    const members = await clusterMembers();
    const ids = members.map((m) => m.id);
    for (const id of [apiId, ...workers.map((w) => w.id)])
      assert.ok(ids.includes(id), `${id} in ${ids.join(',')}`);
    const worker = members.find((m) => m.id === workers[0]!.id)!;
    assert.equal(worker.role, 'worker');
    assert.deepEqual([...worker.offers.types].sort(), ['hash', 'permute', 'text-stats']);
    assert.ok(worker.figures.rssBytes > 0);
    assert.ok(worker.heartbeatAgeMs <= 1500);
    assert.equal(members.find((m) => m.id === apiId)?.meta?.url, apiUrl);
    // The test's own node sees them too, through its live view.
    assert.ok(node.members().some((m) => m.id === workers[2]!.id));
  });

  it('calls between nodes: by id, by role, to itself, from one worker to another', async () => {
    const [a, b] = workers;
    const pong = (await node.call(a!.id, 'ping')) as { pong: boolean; node: string };
    assert.deepEqual([pong.pong, pong.node], [true, a!.id]);

    const viaRole = new Set<string>();
    for (let i = 0; i < 6; i++)
      viaRole.add(((await node.call('worker', 'ping')) as { node: string }).node);
    assert.equal(viaRole.size, 3, 'a role call is spread over the workers');

    const self = (await node.call('self', 'ping')) as { node: string };
    assert.equal(self.node, node.id);

    const relayed = (await node.call(a!.id, 'call', { target: b!.id, name: 'ping' })) as {
      node: string;
    };
    assert.equal(relayed.node, b!.id, 'worker a called worker b');

    const ran = (await node.call(b!.id, 'run', { type: 'hash', data: { text: 'abc' } })) as {
      hex: string;
    };
    assert.equal(ran.hex, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');

    const info = (await node.call(a!.id, 'info')) as { functions: string[]; role: string };
    assert.equal(info.role, 'worker');
    assert.deepEqual(info.functions, [
      'call',
      'drain',
      'info',
      'ping',
      'resume',
      'run',
      'stats',
      'stop',
    ]);
  });

  it('a call that takes too long times out; an unknown function and an unknown node are typed errors', async () => {
    await assert.rejects(
      node.call(workers[0]!.id, 'run', { type: 'permute', data: 'slow' }, { timeoutMs: 200 }),
      (e: unknown) => isWorkmeshError(e, 'WM_ERR_CLUSTER_TIMEOUT'),
    );
    await assert.rejects(node.call(workers[0]!.id, 'nope'), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_CLUSTER_UNKNOWN_FUNCTION'),
    );
    await assert.rejects(node.call('worker-nowhere-1-000000', 'ping'), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_CLUSTER_NO_NODE'),
    );
    await assert.rejects(
      node.call(workers[0]!.id, 'run', { type: 'hash', data: { text: 1 } }),
      (e: unknown) => isWorkmeshError(e, 'WM_ERR_JOB_INVALID_DATA'),
    );
  });

  it('refuses messages signed with the wrong secret, and unsigned ones', async () => {
    const target = workers[1]!.id;
    const dropped = () => droppedBy(target);
    const before = await dropped();
    const intruder = await startTestNode(redis.url, {
      ...FAST_CLUSTER,
      WORKMESH_CLUSTER_SECRET: 'wrong',
    });
    try {
      await assert.rejects(
        intruder.call(target, 'ping', undefined, { timeoutMs: 500 }),
        (e: unknown) => isWorkmeshError(e, 'WM_ERR_CLUSTER_TIMEOUT'),
      );
    } finally {
      await intruder.stop();
    }
    await redis.client.publish(
      `wm:cluster:node:${target}`,
      JSON.stringify({ kind: 'call', body: { name: 'ping' } }),
    );
    // On a Redis Cluster this publish and the stats call may travel through different masters,
    // so the call can overtake it (it did in CI): wait for the count, then check it.
    const afterStats = await until(
      'the unsigned message counted',
      dropped,
      (d) => d.unsigned! > before.unsigned!,
      5000,
    ).catch(() => dropped());
    assert.ok(afterStats.badSignature! > before.badSignature!, 'wrong signature counted');
    assert.ok(afterStats.unsigned! > before.unsigned!, 'unsigned counted');
  });

  it('drops a captured call replayed on the wire, and the same call with its body tampered', async () => {
    const target = workers[2]!.id;
    const channel = `wm:cluster:node:${target}`;
    const spy = redis.client.duplicate();
    const captured = new Promise<string>((resolve) => {
      spy.on('message', (_ch: string, wire: string) => {
        if (wire.includes('"kind":"call"')) resolve(wire);
      });
    });
    await spy.subscribe(channel);
    await node.call(target, 'ping');
    const wire = await captured;
    await spy.quit();
    const dropped = () => droppedBy(target);
    const before = await dropped();
    await redis.client.publish(channel, wire);
    const tampered = wire.replace('"name":"ping"', '"name":"info"');
    assert.notEqual(tampered, wire);
    await redis.client.publish(channel, tampered);
    // On a Redis Cluster the two publishes and the stats call may travel through different
    // masters, so the call can overtake them: wait for both counts, then check them exactly.
    const afterDrops = await until(
      'both drops counted',
      dropped,
      (d) => d.replay! > before.replay! && d.badSignature! > before.badSignature!,
      5000,
    ).catch(() => dropped());
    assert.equal(afterDrops.replay, before.replay! + 1, 'the replay is counted');
    assert.equal(afterDrops.badSignature, before.badSignature! + 1, 'the tampered copy is counted');
  });

  it('a worker stopped cleanly leaves at once; one killed with SIGKILL is gone within TTL + 1 s', async (t) => {
    const [, , c] = workers;
    const b = workers[1]!;
    const cleanLeft = nextChange(node, 'left', b.id);
    const stoppedAt = performance.now();
    b.proc.child.kill('SIGTERM');
    const clean = await cleanLeft;
    assert.equal(clean.reason, 'shutdown');
    t.diagnostic(`clean stop -> left: ${Math.round(clean.at - stoppedAt)} ms`);
    assert.equal(await b.proc.exited, 0);

    const killedLeft = nextChange(node, 'left', c!.id);
    const killedAt = performance.now();
    c!.proc.child.kill('SIGKILL');
    const killed = await killedLeft;
    const detectionMs = killed.at - killedAt;
    t.diagnostic(`SIGKILL -> declared gone: ${Math.round(detectionMs)} ms (TTL 1500 ms)`);
    assert.equal(killed.reason, 'expired');
    assert.ok(detectionMs <= 1500 + 1000, `declared gone after ${detectionMs} ms`);
    const ids = (await clusterMembers()).map((m) => m.id);
    assert.ok(!ids.includes(b.id) && !ids.includes(c!.id));
  });
});
