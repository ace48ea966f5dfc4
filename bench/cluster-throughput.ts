/**
 * End-to-end throughput on one Redis and on a 3-master Redis Cluster: N jobs POSTed to one API
 * process, run by two worker processes, timed from the first POST until Redis counts all of
 * them done. On the cluster, once with the type on one queue (one master) and once split over
 * 6 partitions (several masters). All on this machine: a figure to compare the set-ups with
 * each other, not a capacity claim.
 *
 *   npm run bench:cluster        (BENCH_JOBS=3000)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import { queuesOfType, startRedisServer } from '../src/redis/index.js';
import { startTestRedisCluster } from '../test/helpers/redis-cluster.js';

const N = Number(process.env.BENCH_JOBS ?? 3000);
const IN_FLIGHT = 200;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ENV = {
  WORKMESH_JOBS: join(ROOT, 'bench/fixtures/cluster-jobs.ts'),
  WORKMESH_CONCURRENCY: '50',
  WORKMESH_LOG_LEVEL: 'warn',
  WORKMESH_CLUSTER_SECRET: 'bench',
};

function role(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<string> } {
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'src/cli/main.ts'),
    name,
    ...(name === 'api' ? ['--port', '0'] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...ENV, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<string>((resolve) =>
    child.on('message', (m: { kind: string; url?: string; nodeId: string }) => {
      if (m.kind === 'ready') resolve(m.url ?? m.nodeId);
    }),
  );
  return { child, ready };
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

/** Jobs per second from the first POST until the queues' `done` counters reach N. */
async function run(
  label: string,
  redisUrl: string,
  type: string,
  done: () => Promise<number>,
): Promise<void> {
  const api = role('api', { REDIS_URL: redisUrl });
  const workers = [
    role('worker', { REDIS_URL: redisUrl }),
    role('worker', { REDIS_URL: redisUrl }),
  ];
  const client = new WorkmeshClient({ baseUrl: await api.ready });
  await Promise.all(workers.map((w) => w.ready));
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) {
        const i = next++;
        await client.submit(type, { text: `job ${i}` });
      }
    }),
  );
  const submitted = performance.now();
  while ((await done()) < N) await sleep(20);
  const finished = performance.now();
  process.stdout.write(
    `${label.padEnd(36)} ${N} jobs: accepted ${Math.round((N / (submitted - start)) * 1000)}/s, done ${Math.round((N / (finished - start)) * 1000)}/s end to end\n`,
  );
  await stop([api.child, ...workers.map((w) => w.child)]);
}

const sumDone = (client: Redis, queues: string[]) => async () => {
  const counts = await Promise.all(queues.map((q) => client.hget(`wm:{${q}}:stats`, 'done')));
  return counts.reduce((a, c) => a + Number(c ?? 0), 0);
};

const dir = mkdtempSync(join(tmpdir(), 'workmesh-bench-'));
const single = await startRedisServer({ dir, extraArgs: ['--appendonly', 'no'] });
const singleClient = new Redis(single.url);
try {
  await run('single Redis, one queue', single.url, 'digest', sumDone(singleClient, ['digest']));
} finally {
  singleClient.disconnect();
  await single.stop();
  rmSync(dir, { recursive: true, force: true });
}

const cluster = await startTestRedisCluster();
const clusterClient = cluster.client as unknown as Redis;
try {
  await run(
    '3-master cluster, one queue',
    cluster.url,
    'digest',
    sumDone(clusterClient, ['digest']),
  );
  await run(
    '3-master cluster, 6 partitions',
    cluster.url,
    'digest-split',
    sumDone(clusterClient, queuesOfType('digest-split', 6)),
  );
} finally {
  await cluster.stop();
}
