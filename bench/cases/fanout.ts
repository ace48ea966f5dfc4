/**
 * A 1,000-child fan-out (docs/workflows.md): the time from POST /api/flows to the parent's
 * result, through a real API and two worker processes on the bench's Redis. The parent's queue
 * and its children's differ (on a Redis Cluster they would sit on different masters): each
 * child's completion goes through its queue's outbox and flow-count.lua in the parent's queue.
 * `npm run bench -- --only fanout` (workmesh only: the peers have no flows of this shape).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkmeshClient } from '../../src/client/index.js';
import { cliRole } from '../cli-role.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FanOutTimes {
  /** POST /api/flows answered, ms, per round. */
  readonly submitMs: number[];
  /** Submit to the parent's result, ms, per round. */
  readonly totalMs: number[];
}

/** `rounds` fan-outs of `children` children each; the parent sums its children's values. */
export async function fanOutRun(
  redisUrl: string,
  children: number,
  rounds: number,
): Promise<FanOutTimes> {
  const env = {
    REDIS_URL: redisUrl,
    WORKMESH_API_PORT: '0',
    WORKMESH_LOG_LEVEL: 'error',
    WORKMESH_CLUSTER_SECRET: 'b',
    WORKMESH_JOBS: join(ROOT, 'bench/fixtures/flow-jobs.ts'),
    WORKMESH_CONCURRENCY: '100',
  };
  const api = cliRole('api', env);
  const workers = [cliRole('worker', env), cliRole('worker', env)];
  const submitMs: number[] = [];
  const totalMs: number[] = [];
  try {
    const client = new WorkmeshClient({ baseUrl: await api.ready });
    await Promise.all(workers.map((w) => w.ready));
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const { flow } = await client.submitFlow({
        type: 'fan-join',
        data: {},
        children: Array.from({ length: children }, (_, i) => ({ type: 'fan-leaf', data: { i } })),
      });
      submitMs.push(performance.now() - started);
      const state = await client.wait(flow, { timeoutMs: 120_000 });
      totalMs.push(performance.now() - started);
      const value = state.value as { done: number; sum: number };
      if (
        state.status !== 'done' ||
        value.done !== children ||
        value.sum !== (children * (children - 1)) / 2
      )
        throw new Error(`round ${round}: ${JSON.stringify(state)}`);
    }
  } finally {
    for (const p of [api, ...workers]) p.child.kill('SIGTERM');
    await Promise.all(
      [api, ...workers].map((p) =>
        p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : Promise.resolve(),
      ),
    );
  }
  return { submitMs, totalMs };
}
