/**
 * `npm run bench`: workmesh, BullMQ and Bee-Queue side by side on one private redis-server,
 * every case repeated, medians with min and max, ratios; writes docs/benchmarks.md.
 *
 *   npm run bench                    the full run (about 6 minutes), writes docs/benchmarks.md
 *   npm run bench -- --quick         tiny counts, one repeat: a smoke run, prints only
 *   npm run bench -- --only e2e,http  some cases (enqueue bulk library drain1 drain2 e2e latency http memory
 *                                    prio rated fanout; those three: workmesh only, not in a full run)
 *   npm run bench -- --repeats 1
 *   npm run bench -- --report        re-render docs/benchmarks.md from docs/benchmarks.json
 *                                    (the last full run's figures) and bench/notes.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { httpRun } from './cases/http.js';
import { memoryRun } from './cases/memory.js';
import { drainPriorities, drainRated } from './cases/controls.js';
import { fanOutRun } from './cases/fanout.js';
import { drainRate, endToEnd, enqueueRate, latencyAt } from './cases/queue.js';
import { describeMachine } from './machine.js';
import { record, type Results, type System } from './metrics.js';
import { PEER_NAMES, type PeerName } from './peers/index.js';
import { startBenchRedis } from './redis.js';
import { renderReport, table, targetLines } from './report.js';
import { METRICS } from './metrics.js';

const CASES = [
  'enqueue',
  'bulk',
  'library',
  'drain1',
  'drain2',
  'e2e',
  'latency',
  'http',
  'memory',
  'prio',
  'rated',
  'fanout',
] as const;
type Case = (typeof CASES)[number];
/**
 * workmesh-only cases (queue controls, a flow's fan-out), run with --only: a full run keeps
 * its figures.
 */
const CONTROL_CASES: readonly Case[] = ['prio', 'rated', 'fanout'];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    repeats: { type: 'string' },
    report: { type: 'boolean', default: false },
  },
});
const quick = flags.quick === true;
const only = flags.only
  ? (flags.only.split(',') as Case[])
  : CASES.filter((c) => !CONTROL_CASES.includes(c));
for (const c of only)
  if (!CASES.includes(c)) throw new Error(`unknown case ${c}; cases: ${CASES.join(' ')}`);
const repeats = Number(flags.repeats ?? (quick ? 1 : 3));
const full = !quick && !flags.only && flags.repeats === undefined;

const RAW_PATH = fileURLToPath(new URL('../docs/benchmarks.json', import.meta.url));
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const NOTES_PATH = fileURLToPath(new URL('./notes.md', import.meta.url));

/** The last full run, as saved in docs/benchmarks.json. */
interface SavedRun {
  readonly results: Record<string, Partial<Record<System, number[]>>>;
  readonly commands: Partial<Record<System, Record<string, number>>>;
  readonly machine: string[];
  readonly method: string[];
  readonly startedAt: string;
  readonly durationSec: number;
}

function writeReport(run: SavedRun): void {
  const results: Results = new Map(
    Object.entries(run.results).map(([k, v]) => [
      k,
      new Map(Object.entries(v) as [System, number[]][]),
    ]),
  );
  const commands = new Map(
    Object.entries(run.commands).map(([k, v]) => [k as System, new Map(Object.entries(v))]),
  );
  const notes = readFileSync(NOTES_PATH, 'utf8');
  const info = { ...run, startedAt: new Date(run.startedAt), commands, notes };
  writeFileSync(DOC_PATH, renderReport(results, info));
  console.log('wrote docs/benchmarks.md');
}

if (flags.report) {
  writeReport(JSON.parse(readFileSync(RAW_PATH, 'utf8')) as SavedRun);
  process.exit(0);
}

const SIZE = quick
  ? {
      enqueue: 2000,
      drain: 2000,
      e2e: 2000,
      lat500: 300,
      lat2000: 600,
      httpSec: 1,
      statusIds: 200,
      memory: 2000,
    }
  : {
      enqueue: 20_000,
      drain: 10_000,
      e2e: 10_000,
      lat500: 750,
      lat2000: 3000,
      httpSec: 3,
      statusIds: 500,
      memory: 30_000,
    };

const results: Results = new Map();
const commands = new Map<System, Map<string, number>>();
const began = performance.now();
const startedAt = new Date();
const redis = await startBenchRedis();
const machine = describeMachine(redis.version);

function log(line: string): void {
  process.stdout.write(
    `[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`,
  );
}

/** The peers in a different order each repeat, so no system always runs first or last. */
function order(repeat: number): PeerName[] {
  return PEER_NAMES.map((_, i) => PEER_NAMES[(i + repeat) % PEER_NAMES.length]!);
}

async function queueCases(repeat: number): Promise<void> {
  for (const c of only) {
    for (const peer of order(repeat)) {
      // The library case compares the producer APIs of workmesh and BullMQ.
      if (c === 'library' && peer === 'beequeue') continue;
      const ctx = { redis, peer };
      if (c === 'enqueue')
        record(results, 'enqueue', peer, await enqueueRate(ctx, SIZE.enqueue, 'inflight'));
      else if (c === 'bulk')
        record(results, 'bulk', peer, await enqueueRate(ctx, SIZE.enqueue, 'bulk'));
      else if (c === 'library')
        record(results, 'library', peer, await enqueueRate(ctx, SIZE.enqueue, 'library'));
      else if (c === 'drain1') record(results, 'drain1', peer, await drainRate(ctx, SIZE.drain, 1));
      else if (c === 'drain2') record(results, 'drain2', peer, await drainRate(ctx, SIZE.drain, 2));
      else if (c === 'e2e') {
        const { perSec, calls } = await endToEnd(ctx, SIZE.e2e);
        record(results, 'e2e', peer, perSec);
        const perJob = new Map([...calls].map(([k, n]) => [k, n / SIZE.e2e]));
        record(
          results,
          'calls',
          peer,
          [...perJob.values()].reduce((a, b) => a + b, 0),
        );
        if (!commands.has(peer)) commands.set(peer, perJob);
      } else if (c === 'latency') {
        const at500 = await latencyAt(ctx, 500, SIZE.lat500);
        record(results, 'lat500p50', peer, at500.p50);
        record(results, 'lat500p99', peer, at500.p99);
        const at2000 = await latencyAt(ctx, 2000, SIZE.lat2000);
        record(results, 'lat2000p50', peer, at2000.p50);
        record(results, 'lat2000p99', peer, at2000.p99);
      } else continue;
      const m = results.get(c === 'latency' ? 'lat500p50' : c)?.get(peer);
      log(`repeat ${repeat + 1}/${repeats} ${c} ${peer}: ${m?.[m.length - 1]?.toFixed(1)}`);
    }
  }
  if (only.includes('prio')) {
    record(results, 'prio', 'workmesh', await drainPriorities(redis, SIZE.drain));
    log(
      `repeat ${repeat + 1}/${repeats} prio workmesh: ${results.get('prio')!.get('workmesh')!.at(-1)!.toFixed(1)}`,
    );
  }
  if (only.includes('rated')) {
    // 1,000 jobs a second: a limit a worker at concurrency 100 could pass several times over.
    const jobs = quick ? 1000 : 5000;
    record(results, 'rated', 'workmesh', await drainRated(redis, jobs, 1000));
    log(
      `repeat ${repeat + 1}/${repeats} rated workmesh (limit 1000/s): ${results.get('rated')!.get('workmesh')!.at(-1)!.toFixed(1)}`,
    );
  }
  if (only.includes('fanout')) {
    // Three fan-outs per repeat on fresh API and worker processes; the median is recorded.
    const children = quick ? 100 : 1000;
    const { totalMs } = await fanOutRun(redis.url, children, 3);
    const median = [...totalMs].sort((a, b) => a - b)[1]!;
    record(results, 'fanout', 'workmesh', median);
    log(
      `repeat ${repeat + 1}/${repeats} fanout workmesh (${children} children): ${median.toFixed(0)} ms to the parent's result`,
    );
  }
  if (only.includes('http')) {
    for (const server of repeat % 2
      ? (['fastify+bullmq', 'workmesh'] as const)
      : (['workmesh', 'fastify+bullmq'] as const)) {
      const f = await httpRun(redis, server, SIZE.httpSec, SIZE.statusIds);
      record(results, 'postRps', server, f.postPerSec);
      record(results, 'postP99', server, f.postP99);
      record(results, 'getRps', server, f.getPerSec);
      record(results, 'getP99', server, f.getP99);
      log(
        `repeat ${repeat + 1}/${repeats} http ${server}: POST ${f.postPerSec.toFixed(0)}/s p99 ${f.postP99} ms, GET ${f.getPerSec.toFixed(0)}/s p99 ${f.getP99} ms`,
      );
    }
  }
}

try {
  for (let r = 0; r < repeats; r++) await queueCases(r);
  // Memory is deterministic enough to measure once; it is linear in the jobs, scaled to 100,000.
  if (only.includes('memory')) {
    for (const peer of PEER_NAMES) {
      const m = await memoryRun(redis, peer, SIZE.memory);
      record(results, 'memWaiting', peer, m.waiting);
      record(results, 'memFinished', peer, m.finished);
      log(
        `memory ${peer}: ${(m.waiting / 1e6).toFixed(1)} MB waiting, ${(m.finished / 1e6).toFixed(1)} MB finished per 100k`,
      );
    }
  }
} finally {
  await redis.stop();
}

const durationSec = (performance.now() - began) / 1000;
console.log('');
for (const metric of METRICS) {
  const t = table(results, metric);
  if (t.length) console.log([...t, ''].join('\n'));
}
console.log(targetLines(results).join('\n'));
console.log(`\n${Math.round(durationSec)} s in all`);

if (full) {
  machine.push(
    `Load average at the end of the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  );
  const method = [
    `Each case starts on an empty Redis (FLUSHALL); producers and workers run in their own child processes (\`bench/child.ts\`), never in the process that measures.`,
    `Equal settings: a no-op job returning the string "ok"; results kept (workmesh resultTtlSec 600; BullMQ removeOnComplete {age: 600}; Bee-Queue storeJobs with removeOnSuccess false, which keeps the job and its success but not the value); at-least-once delivery (each system's defaults: workmesh's pending entries list and takeover, BullMQ's stalled-job check, Bee-Queue's stall check); Bee-Queue activateDelayedJobs off.`,
    `Enqueue: ${SIZE.enqueue.toLocaleString('en-US')} jobs from one producer process, 100 calls in flight; bulk: the same through each system's bulk call (workmesh: 1,000 enqueue() calls in one turn, which its producer sends as script calls of up to 50 jobs; BullMQ addBulk; Bee-Queue saveAll), 1,000 per call.`,
    `Enqueue from the library: the same, through workmesh's producer API (\`new Queue({jobs}).add()\`: the job registry's checks, the defaults and the callback id as POST /api/work, in the producer's process) and BullMQ's \`queue.add\`.`,
    `Drain: ${SIZE.drain.toLocaleString('en-US')} jobs enqueued first, then one worker process (concurrency 100), or two; timed from the start signal to the last completion the workers report.`,
    `End to end: one producer process (100 in flight) and one worker process (concurrency 100) together, ${SIZE.e2e.toLocaleString('en-US')} jobs; Redis commands per job counted over this case with CONFIG RESETSTAT and INFO commandstats.`,
    `Latency: from enqueue to the result stored (the worker's completion callback), at a fixed arrival rate: ${SIZE.lat500} jobs at 500/s, ${SIZE.lat2000} jobs at 2,000/s; one worker process.`,
    `HTTP: autocannon 8, 100 connections, ${SIZE.httpSec} s per route, against \`workmesh api\` (its own process) and a minimal Fastify 5 + BullMQ server (bench/http/bullmq-server.ts), each warmed up by one unmeasured second of POSTs; POST with no worker running (the API's own cost, every answered POST checked to be in Redis); GET cycles over ${SIZE.statusIds} jobs a worker finished.`,
    `Memory: INFO used_memory on an empty Redis, after ${SIZE.memory.toLocaleString('en-US')} jobs are enqueued (waiting), and after a worker finished them all (results kept), scaled to 100,000 jobs; measured once.`,
    `Every queue case checks from Redis that every job is there (enqueue) or completed (workmesh: the queue's stats hash, BullMQ: the completed set, Bee-Queue: the succeeded set); a shortfall fails the run.`,
    `Repeats: ${repeats}; the order of the systems rotates each repeat. Median, with min and max.`,
  ];
  const run: SavedRun = {
    results: Object.fromEntries([...results].map(([k, v]) => [k, Object.fromEntries(v)])),
    commands: Object.fromEntries([...commands].map(([k, v]) => [k, Object.fromEntries(v)])),
    machine,
    method,
    startedAt: startedAt.toISOString(),
    durationSec,
  };
  writeFileSync(RAW_PATH, `${JSON.stringify(run, null, 2)}\n`);
  writeReport(run);
}
