/**
 * Redis' own time per job on the hot path, with no node process competing for the CPU: fills
 * a queue, then claims batches of 100 and finishes them one call after the other (no overlap),
 * and reports each script's time per job from INFO commandstats. Steadier than a drain's
 * figure for comparing two versions of the scripts on a shared machine.
 *
 *   npx tsx bench/script-cost.ts [jobs=20000] [rounds=3]
 *
 * On a busy machine time moves with the load; instructions do not. With redis-server run
 * under callgrind (bench/callgrind/redis-server first on PATH) and SCRIPT_COST_DUMP=1, each
 * phase ends with `callgrind_control --dump`, and bench/callgrind/report.ts turns the dumps
 * into instructions per job.
 */
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { execFileSync } from 'node:child_process';
import { startBenchRedis } from './redis.js';

const jobs = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const QUEUE = 'noop';
const redis = await startBenchRedis();
const log = createLogger('error');
const conn = connectRedis(redis.url, log, { name: 'script-cost' });
const blocking = connectRedis(redis.url, log, { name: 'script-cost-blocking' });
const keys = new Keys('wm');
const redisPid = /process_id:(\d+)/.exec(await redis.client.info('server'))?.[1];
/** Ends a callgrind phase (SCRIPT_COST_DUMP=1): its instructions go to a file of their own. */
function dump(label: string): void {
  if (process.env.SCRIPT_COST_DUMP !== '1' || !redisPid) return;
  execFileSync('callgrind_control', [`--dump=${label}`, redisPid], { stdio: 'ignore' });
}

/** Microseconds spent per command since the last reset, from INFO commandstats. */
async function usecPerCall(): Promise<Map<string, number>> {
  const info = await redis.client.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g))
    out.set(m[1]!, Number(m[3]));
  return out;
}

const perRound: [number, number, number][] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    await redis.flush();
    const producer = new Producer(conn, keys, 'script-cost');
    await redis.resetStats();
    dump(`round ${round} setup`);
    for (let done = 0; done < jobs; done += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, () =>
          producer.enqueue({
            queue: QUEUE,
            data: { t: Date.now() },
            resultTtlSec: 600,
            maxAttempts: 3,
          }),
        ),
      );
    }
    const enq = (await usecPerCall()).get('evalsha') ?? 0;
    dump(`round ${round} enqueue ${jobs}`);
    const consumer = new StreamConsumer(conn, blocking, keys, QUEUE, 'worker-1', {
      deadTtlSec: 86_400,
      maxRecoveries: 2,
    });
    await consumer.ensureGroup();
    await redis.resetStats();
    let claimUs = 0;
    let finishUs = 0;
    let finished = 0;
    const finishBy = new Map<string, number>();
    while (finished < jobs) {
      const batch = await consumer.claimOrWait(100, 1);
      claimUs += (await usecPerCall()).get('evalsha') ?? 0;
      await redis.resetStats();
      const results = await Promise.all(
        batch.map((j) => consumer.finish(j, { kind: 'done', json: '"ok"' })),
      );
      finished += results.filter((r) => r === 'done').length;
      const stats = await usecPerCall();
      finishUs += stats.get('evalsha') ?? 0;
      for (const [cmd, us] of stats) finishBy.set(cmd, (finishBy.get(cmd) ?? 0) + us);
      await redis.resetStats();
    }
    dump(`round ${round} claim+finish ${jobs}`);
    const per = (us: number) => (us / jobs).toFixed(1);
    perRound.push([enq / jobs, claimUs / jobs, finishUs / jobs]);
    console.log(
      `round ${round}: µs per job in Redis: enqueue ${per(enq)}, claim ${per(claimUs)}, finish ${per(finishUs)}`,
    );
    const inner = [...finishBy].filter(
      ([cmd]) => cmd !== 'evalsha' && cmd !== 'info' && cmd !== 'config',
    );
    console.log(`  finish's commands: ${inner.map(([cmd, us]) => `${cmd} ${per(us)}`).join(', ')}`);
  }
  // Other work on the machine only ever adds time: the least of the rounds is the steadiest
  // figure for comparing two versions; the median says how much the rounds moved.
  const col = (i: number, pick: (xs: number[]) => number) =>
    pick(perRound.map((r) => r[i]!)).toFixed(1);
  const least = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, pick] of [
    ['least', least],
    ['median', median],
  ] as const)
    console.log(
      `${name} of ${rounds}: enqueue ${col(0, pick)}, claim ${col(1, pick)}, finish ${col(2, pick)}`,
    );
} finally {
  conn.disconnect();
  blocking.disconnect();
  await redis.stop();
}
