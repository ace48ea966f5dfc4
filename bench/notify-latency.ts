/**
 * Notification latency: from the moment a worker writes a job's result to the moment a
 * waiting client sees it, through server-sent events and through long-polling. Both clocks
 * are this machine's, so finishedAt (written by the worker) and the client's receipt compare.
 *
 *   npm run bench:notify            (N=300 jobs per mode, 50 jobs/s)
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshClient } from '../src/client/index.js';
import { startRedisServer } from '../src/redis/index.js';
import { cliRole } from './cli-role.js';

const N = Number(process.env.BENCH_JOBS ?? 300);
const RATE = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const redis = await startRedisServer({ dir: mkdtempSync(join(tmpdir(), 'workmesh-bench-')) });
const env = {
  REDIS_URL: redis.url,
  WORKMESH_API_PORT: '0',
  WORKMESH_LOG_LEVEL: 'error',
  WORKMESH_CLUSTER_SECRET: 'b',
};
const api = cliRole('api', env);
const worker = cliRole('worker', env);
const client = new WorkmeshClient({ baseUrl: await api.ready });
await worker.ready;

async function measure(mode: 'sse' | 'long-poll'): Promise<number[]> {
  const latencies: number[] = [];
  const runs: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const { callback } = await client.submit('hash', { text: `n${i}` });
    runs.push(
      (async () => {
        let seenAt: number;
        if (mode === 'sse') {
          for await (const event of client.events(callback)) {
            if (event.status === 'done') break;
          }
          seenAt = Date.now();
        } else {
          await client.status(callback, 30);
          seenAt = Date.now();
        }
        const state = await client.status(callback);
        latencies.push(seenAt - Date.parse(state.finishedAt!));
      })(),
    );
    await sleep(1000 / RATE);
  }
  await Promise.all(runs);
  return latencies.sort((a, b) => a - b);
}

console.log(
  `notification latency, ${N} jobs per mode at ${RATE}/s; ${cpus().length} cores, ${cpus()[0]?.model ?? ''}, Node ${process.version}`,
);
for (const mode of ['sse', 'long-poll'] as const) {
  const l = await measure(mode);
  console.log(
    `${mode.padEnd(9)}  p50 ${percentile(l, 50)} ms  p99 ${percentile(l, 99)} ms  max ${l.at(-1)} ms`,
  );
}
api.child.kill('SIGTERM');
worker.child.kill('SIGTERM');
await Promise.all([api.child, worker.child].map((c) => new Promise((r) => c.once('exit', r))));
await redis.stop();
