/**
 * Redis instructions per job, for every system: the enqueue case (100 calls in flight), the
 * drain case (one worker process) and the end-to-end case, each run once per system on one
 * redis-server under callgrind, with a dump after each. Instructions do not move with the machine's load, so this says what
 * each system asks of Redis per job, the resource the end-to-end case is bound by.
 *
 *   PATH="$PWD/bench/callgrind:$PATH" BENCH_TIMEOUT_MS=600000 npx tsx bench/callgrind/peers.ts [jobs=2000]
 *   npx tsx bench/callgrind/report.ts
 */
import { execFileSync } from 'node:child_process';
import { drainRate, endToEnd, enqueueRate } from '../cases/queue.js';
import { PEER_NAMES } from '../peers/index.js';
import { startBenchRedis } from '../redis.js';

const jobs = Number(process.argv[2] ?? 2000);
const redis = await startBenchRedis();
const pid = /process_id:(\d+)/.exec(await redis.client.info('server'))?.[1];
if (!pid) throw new Error('no redis-server pid');
const dump = (label: string) =>
  execFileSync('callgrind_control', [`--dump=${label}`, pid], { stdio: 'ignore' });
try {
  for (const peer of PEER_NAMES) {
    const ctx = { redis, peer };
    // Each case starts with a flush; the dump before it ends the previous phase.
    dump(`round 1 setup-${peer} ${jobs}`);
    await enqueueRate(ctx, jobs, 'inflight');
    dump(`round 1 enqueue-${peer} ${jobs}`);
    await drainRate(ctx, jobs, 1);
    dump(`round 1 prefill+drain-${peer} ${jobs}`);
    await endToEnd(ctx, jobs);
    dump(`round 1 e2e-${peer} ${jobs}`);
    console.log(`${peer}: measured`);
  }
} finally {
  await redis.stop();
}
