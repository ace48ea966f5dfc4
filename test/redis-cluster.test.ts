import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import { loadConfig } from '../src/config/index.js';
import { parseClusterUrl } from '../src/redis/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.js';
import { until } from './helpers/wait.js';

/** workmesh on a private 3-master Redis Cluster, whatever WORKMESH_TEST_REDIS says. */
let cluster: TestRedisCluster;
let masters: Redis[];
let client: WorkmeshClient;
const dir = mkdtempSync(join(tmpdir(), 'workmesh-rc-'));
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: 'test/fixtures/jobs.ts',
  WORKMESH_PERMUTE_DELAY_MS: '0',
};

before(async () => {
  cluster = await startTestRedisCluster();
  masters = cluster.masters();
  const api = startApiProcess(cluster.url, ENV);
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
});
after(async () => {
  await stopAll();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Names of the connections each master has open for a node. */
async function connectionsOf(nodeId: string): Promise<string[][]> {
  return Promise.all(
    masters.map(async (m) => {
      const list = (await m.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
      return [...list.matchAll(/ name=(\S+)/g)]
        .map((x) => x[1]!)
        .filter((name) => name.endsWith(`-${nodeId}`));
    }),
  );
}

describe('REDIS_URL=redis+cluster://', () => {
  it('parses seed nodes, credentials and TLS; the config accepts the scheme', () => {
    assert.deepEqual(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001'), {
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    assert.deepEqual(parseClusterUrl('rediss+cluster://u:p%40ss@[::1]:7000'), {
      seeds: [{ host: '::1', port: 7000 }],
      username: 'u',
      password: 'p@ss',
      tls: true,
    });
    assert.equal(parseClusterUrl('redis://127.0.0.1:6379'), undefined);
    assert.equal(loadConfig({ REDIS_URL: cluster.url }).redisUrl, cluster.url);
  });

  it('queues of several types live on several masters; every job is done once', async () => {
    const worker = startWorkerProcess(cluster.url, ENV);
    await worker.ready;
    const file = join(dir, 'spread.log');
    const jobs = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        client.submit('record', { file, ms: 0 }, { key: `r${i}` }),
      ),
      ...Array.from({ length: 10 }, (_, i) => client.submit('hash', { text: `h${i}` })),
      ...Array.from({ length: 10 }, (_, i) => client.submit('text-stats', { text: `t ${i}` })),
      ...Array.from({ length: 10 }, (_, i) => client.submitData(`p${i}`)),
    ]);
    const finals = await Promise.all(
      jobs.map((j) => client.wait(j.callback, { timeoutMs: 20_000 })),
    );
    assert.deepEqual(
      finals.map((f) => f.status),
      jobs.map(() => 'done'),
    );
    const runs = readExecutions(file);
    assert.equal(runs.length, 10);
    assert.equal(new Set(runs.map((r) => r.id)).size, 10, 'each record job ran once');
    const holders = await Promise.all(
      ['record', 'hash', 'text-stats', 'permute'].map(async (type) => {
        const key = `wm:{${type}}:stream`;
        // KEYS lists the keys a master holds itself (EXISTS would answer MOVED elsewhere).
        const on = await Promise.all(masters.map(async (m) => (await m.keys(key)).length));
        assert.equal(on.filter((x) => x === 1).length, 1, `${key} on exactly one master`);
        return on.indexOf(1);
      }),
    );
    assert.ok(new Set(holders).size >= 2, `streams spread over masters ${holders.join(',')}`);
  });

  it("a node declared gone loses its connections on every master (the reaper's CLIENT KILL)", async () => {
    const watcher = await startTestNode(cluster.url);
    try {
      const paused = startWorkerProcess(cluster.url, ENV);
      const { nodeId } = await paused.ready;
      const before = await connectionsOf(nodeId);
      assert.ok(
        before.filter((names) => names.length > 0).length >= 2,
        `connections on several masters: ${JSON.stringify(before)}`,
      );
      const gone = nextChange(watcher, 'left', nodeId);
      paused.child.kill('SIGSTOP');
      assert.equal((await gone).reason, 'expired');
      await until(
        'no connection of the paused node left on any master',
        () => connectionsOf(nodeId),
        (all) => all.every((names) => names.length === 0),
        10_000,
      );
      paused.child.kill('SIGCONT');
    } finally {
      await watcher.stop();
    }
  });
});
