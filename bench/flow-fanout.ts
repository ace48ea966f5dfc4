/**
 * A 1,000-child fan-out (docs/workflows.md): the time from POST /api/flows to the parent's
 * result, through a real API and worker processes. The parent's queue and its children's differ
 * (on a Redis Cluster they would sit on different masters): each child's completion goes
 * through its queue's outbox and flow-count.lua in the parent's queue.
 *
 *   npm run bench:flow            (BENCH_CHILDREN=1000 children, BENCH_ROUNDS=5, 2 workers)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkmeshClient } from '../src/client/index.js';
import { startRedisServer } from '../src/redis/index.js';

const CHILDREN = Number(process.env.BENCH_CHILDREN ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROOT = fileURLToPath(new URL('../', import.meta.url));

function role(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), name], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<string>((resolve) =>
    child.on('message', (m: { kind: string; url?: string; nodeId: string }) => {
      if (m.kind === 'ready') resolve(m.url ?? m.nodeId);
    }),
  );
  return { child, ready };
}

const redis = await startRedisServer({ dir: mkdtempSync(join(tmpdir(), 'workmesh-bench-')) });
const env = {
  REDIS_URL: redis.url,
  WORKMESH_API_PORT: '0',
  WORKMESH_LOG_LEVEL: 'error',
  WORKMESH_CLUSTER_SECRET: 'b',
  WORKMESH_JOBS: join(ROOT, 'bench/fixtures/flow-jobs.ts'),
  WORKMESH_CONCURRENCY: '100',
};
const api = role('api', env);
const workers = [role('worker', env), role('worker', env)];
const client = new WorkmeshClient({ baseUrl: await api.ready });
await Promise.all(workers.map((w) => w.ready));

const submitMs: number[] = [];
const totalMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  const { flow } = await client.submitFlow({
    type: 'fan-join',
    data: {},
    children: Array.from({ length: CHILDREN }, (_, i) => ({ type: 'fan-leaf', data: { i } })),
  });
  submitMs.push(performance.now() - started);
  const state = await client.wait(flow, { timeoutMs: 120_000 });
  totalMs.push(performance.now() - started);
  const value = state.value as { done: number; sum: number };
  if (
    state.status !== 'done' ||
    value.done !== CHILDREN ||
    value.sum !== (CHILDREN * (CHILDREN - 1)) / 2
  )
    throw new Error(`round ${round}: ${JSON.stringify(state)}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
console.log(`fan-out of ${CHILDREN} children, ${ROUNDS} rounds, 2 workers (concurrency 100 each):`);
console.log(`  submit (POST /api/flows answered):  ${fmt(submitMs)}`);
console.log(`  submit -> parent's result:          ${fmt(totalMs)}`);

for (const p of [api, ...workers]) p.child.kill('SIGTERM');
await Promise.all([api, ...workers].map((p) => new Promise((r) => p.child.once('exit', r))));
await redis.stop();
