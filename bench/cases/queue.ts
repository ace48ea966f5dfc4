/**
 * The queue cases, one run each: every case starts on an empty Redis, runs producer and
 * workers in their own child processes, and checks from Redis that every job is there
 * (enqueue) or completed with its result kept (the others); a shortfall throws.
 */
import { loadPeer, type BenchJob, type PeerName } from '../peers/index.js';
import type { BenchRedis } from '../redis.js';
import { Child, untilCounted } from '../spawn.js';
import { percentile } from '../stats.js';

export interface RunContext {
  readonly redis: BenchRedis;
  readonly peer: PeerName;
}

const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);

async function expectCount(what: string, got: Promise<number>, want: number): Promise<void> {
  const n = await got;
  if (n !== want) throw new Error(`${what}: ${n} jobs in Redis, expected ${want}`);
}

/** Fills the queue from this process, through the system's bulk call (not measured). */
export async function prefill({ redis, peer }: RunContext, jobs: number): Promise<void> {
  const producer = await (await loadPeer(peer)).producer(redis.url);
  for (let done = 0; done < jobs; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, jobs - done) }, (): BenchJob => ({
      t: Date.now(),
    }));
    await producer.addBulk(batch);
  }
  await producer.close();
  await expectCount(`${peer} prefill`, (await loadPeer(peer)).waiting(redis.url), jobs);
}

/** Jobs enqueued per second, `inFlight` calls at a time, or through the bulk call. */
export async function enqueueRate(
  ctx: RunContext,
  jobs: number,
  how: 'inflight' | 'bulk' | 'library',
): Promise<number> {
  const { redis, peer } = ctx;
  await redis.flush();
  const producer = await Child.start(
    how === 'bulk'
      ? { role: 'producer', peer, redisUrl: redis.url, mode: 'bulk', jobs, chunk: 1000 }
      : {
          role: 'producer',
          peer,
          redisUrl: redis.url,
          mode: 'inflight',
          jobs,
          inFlight: 100,
          ...(how === 'library' ? { via: 'library' as const } : {}),
        },
  );
  producer.go();
  const { elapsedMs } = await producer.next('produced');
  await producer.exit();
  await expectCount(`${peer} enqueue`, (await loadPeer(peer)).waiting(redis.url), jobs);
  return (jobs * 1000) / elapsedMs;
}

async function startWorkers(ctx: RunContext, processes: number): Promise<Child[]> {
  return Promise.all(
    Array.from({ length: processes }, () =>
      Child.start({ role: 'worker', peer: ctx.peer, redisUrl: ctx.redis.url, concurrency: 100 }),
    ),
  );
}

async function stopWorkers(
  ctx: RunContext,
  workers: readonly Child[],
  jobs: number,
): Promise<number[]> {
  const latencies = (await Promise.all(workers.map((w) => w.stop()))).flat();
  await expectCount(
    `${ctx.peer} completed`,
    (await loadPeer(ctx.peer)).completed(ctx.redis.url),
    jobs,
  );
  return latencies;
}

/** Jobs per second drained from a pre-filled queue by `processes` workers (concurrency 100 each). */
export async function drainRate(ctx: RunContext, jobs: number, processes: number): Promise<number> {
  await ctx.redis.flush();
  await prefill(ctx, jobs);
  const workers = await startWorkers(ctx, processes);
  const start = performance.now();
  for (const w of workers) w.go();
  await untilCounted(workers, jobs, TIMEOUT_MS);
  const elapsed = performance.now() - start;
  await stopWorkers(ctx, workers, jobs);
  return (jobs * 1000) / elapsed;
}

export interface EndToEnd {
  readonly perSec: number;
  /** Redis commands per job (INFO commandstats), by command, and in all. */
  readonly calls: Map<string, number>;
}

/** Jobs per second through a producer (100 in flight) and one worker running together. */
export async function endToEnd(ctx: RunContext, jobs: number): Promise<EndToEnd> {
  await ctx.redis.flush();
  const [[worker], producer] = await Promise.all([
    startWorkers(ctx, 1),
    Child.start({
      role: 'producer',
      peer: ctx.peer,
      redisUrl: ctx.redis.url,
      mode: 'inflight',
      jobs,
      inFlight: 100,
    }),
  ]);
  // Let the idle worker settle into its blocking read before counting commands.
  worker!.go();
  await new Promise((r) => setTimeout(r, 300));
  await ctx.redis.resetStats();
  const start = performance.now();
  producer.go();
  await untilCounted([worker!], jobs, TIMEOUT_MS);
  const elapsed = performance.now() - start;
  const calls = await ctx.redis.commandCalls();
  await producer.exit();
  await stopWorkers(ctx, [worker!], jobs);
  return { perSec: (jobs * 1000) / elapsed, calls };
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/** Latency from enqueue to result stored, at a fixed arrival rate. */
export async function latencyAt(ctx: RunContext, perSec: number, jobs: number): Promise<Latency> {
  await ctx.redis.flush();
  const [[worker], producer] = await Promise.all([
    startWorkers(ctx, 1),
    Child.start({
      role: 'producer',
      peer: ctx.peer,
      redisUrl: ctx.redis.url,
      mode: 'rate',
      jobs,
      perSec,
    }),
  ]);
  worker!.go();
  await new Promise((r) => setTimeout(r, 300));
  producer.go();
  await untilCounted([worker!], jobs, TIMEOUT_MS);
  await producer.exit();
  const latencies = await stopWorkers(ctx, [worker!], jobs);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
