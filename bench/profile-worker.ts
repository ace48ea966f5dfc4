/**
 * Profiles one workmesh worker draining a pre-filled queue, in this process: the CPU profile
 * of the drain alone (open it in Chrome DevTools) and Redis' time per job by command, from
 * INFO commandstats. How the figures in docs/benchmarks.md "Where the time goes" were found.
 *
 *   npx tsx bench/profile-worker.ts [jobs=20000] [profile=/tmp/workmesh-drain.cpuprofile]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { prefill } from './cases/queue.js';
import { loadPeer } from './peers/index.js';
import { startBenchRedis } from './redis.js';

const jobs = Number(process.argv[2] ?? 20_000);
const out = process.argv[3] ?? '/tmp/workmesh-drain.cpuprofile';
const redis = await startBenchRedis();
try {
  await prefill({ redis, peer: 'workmesh' }, jobs);
  const peer = await loadPeer('workmesh');
  await redis.resetStats();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = await peer.worker(redis.url, {
    concurrency: 100,
    onDone: () => {
      if (++done === jobs) finished();
    },
  });
  await allDone;
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  await worker.close();
  console.log(
    `${Math.round((jobs * 1000) / wallMs)} jobs/s; node CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms of ${Math.round(wallMs)} ms wall; profile in ${out}`,
  );
  const stats = await redis.client.info('commandstats');
  for (const m of stats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    const usec = Number(m[3]) / jobs;
    if (usec >= 0.5)
      console.log(
        `  ${m[1]}: ${(Number(m[2]) / jobs).toFixed(2)} calls/job, ${usec.toFixed(1)} µs/job`,
      );
  }
} finally {
  await redis.stop();
}
