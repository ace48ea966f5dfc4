/** Every figure the benchmark reports, and the targets on them. */
export type System = 'workmesh' | 'bullmq' | 'beequeue' | 'fastify+bullmq';

export interface Metric {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  /** true: more is better (throughput); false: less is better (latency, memory, commands). */
  readonly higherIsBetter: boolean;
}

export const METRICS: readonly Metric[] = [
  { id: 'enqueue', title: 'Enqueue, 100 calls in flight', unit: 'jobs/s', higherIsBetter: true },
  { id: 'bulk', title: 'Enqueue, bulk (1,000 per call)', unit: 'jobs/s', higherIsBetter: true },
  {
    id: 'library',
    title:
      "Enqueue from the library, 100 calls in flight (workmesh's Queue.add, BullMQ's queue.add)",
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  {
    id: 'drain1',
    title: 'Drain, 1 worker process (concurrency 100)',
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  {
    id: 'drain2',
    title: 'Drain, 2 worker processes (concurrency 100 each)',
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  {
    id: 'e2e',
    title: 'End to end (producer process + worker process)',
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  { id: 'lat500p50', title: 'Latency p50 at 500 jobs/s', unit: 'ms', higherIsBetter: false },
  { id: 'lat500p99', title: 'Latency p99 at 500 jobs/s', unit: 'ms', higherIsBetter: false },
  { id: 'lat2000p50', title: 'Latency p50 at 2,000 jobs/s', unit: 'ms', higherIsBetter: false },
  { id: 'lat2000p99', title: 'Latency p99 at 2,000 jobs/s', unit: 'ms', higherIsBetter: false },
  { id: 'postRps', title: 'HTTP POST /api/work', unit: 'req/s', higherIsBetter: true },
  { id: 'postP99', title: 'HTTP POST /api/work p99', unit: 'ms', higherIsBetter: false },
  { id: 'getRps', title: 'HTTP GET /api/status/<id>', unit: 'req/s', higherIsBetter: true },
  { id: 'getP99', title: 'HTTP GET /api/status/<id> p99', unit: 'ms', higherIsBetter: false },
  {
    id: 'memWaiting',
    title: 'Redis memory per 100,000 waiting jobs',
    unit: 'MB',
    higherIsBetter: false,
  },
  {
    id: 'memFinished',
    title: 'Redis memory per 100,000 finished jobs (results kept)',
    unit: 'MB',
    higherIsBetter: false,
  },
  {
    id: 'calls',
    title: 'Redis commands per job, end to end (INFO commandstats)',
    unit: 'calls',
    higherIsBetter: false,
  },
  {
    id: 'prio',
    title: 'Drain with priorities in use (-10..10), 1 worker process (concurrency 100)',
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  {
    id: 'rated',
    title: 'Drain of a type limited to 1,000 starts/s, 1 worker process (concurrency 100)',
    unit: 'jobs/s',
    higherIsBetter: true,
  },
  {
    id: 'fanout',
    title: "A flow of 1,000 children: submit to the parent's result (API and 2 worker processes)",
    unit: 'ms',
    higherIsBetter: false,
  },
];

/** A ratio to a peer, or (peer 'none') a figure of workmesh's own. */
export type Target =
  | {
      readonly metric: string;
      readonly peer: System;
      /** workmesh must be at least this many times better than the peer (1 = no worse). */
      readonly factor: number;
      readonly text: string;
    }
  | {
      readonly metric: string;
      readonly peer: 'none';
      /** workmesh's median must reach this (a throughput metric). */
      readonly atLeast: number;
      readonly text: string;
    };

export const TARGETS: readonly Target[] = [
  { metric: 'e2e', peer: 'bullmq', factor: 3, text: 'End to end ≥ 3× BullMQ' },
  { metric: 'e2e', peer: 'beequeue', factor: 2, text: 'End to end ≥ 2× Bee-Queue' },
  { metric: 'drain1', peer: 'bullmq', factor: 3, text: 'Drain (1 worker) ≥ 3× BullMQ' },
  {
    metric: 'enqueue',
    peer: 'beequeue',
    factor: 1.2,
    text: 'Enqueue (100 in flight) ≥ 1.2× Bee-Queue',
  },
  { metric: 'postRps', peer: 'fastify+bullmq', factor: 2, text: 'HTTP POST ≥ 2× Fastify + BullMQ' },
  {
    metric: 'postP99',
    peer: 'fastify+bullmq',
    factor: 1,
    text: 'HTTP POST p99 no worse than Fastify + BullMQ',
  },
  {
    metric: 'lat500p50',
    peer: 'beequeue',
    factor: 1,
    text: 'Latency p50 at 500 jobs/s no worse than Bee-Queue',
  },
  {
    metric: 'lat500p99',
    peer: 'beequeue',
    factor: 1,
    text: 'Latency p99 at 500 jobs/s no worse than Bee-Queue',
  },
  {
    metric: 'memWaiting',
    peer: 'beequeue',
    factor: 1 / 1.2,
    text: 'Redis memory per waiting job ≤ 1.2× Bee-Queue',
  },
  {
    metric: 'memWaiting',
    peer: 'bullmq',
    factor: 1,
    text: 'Redis memory per waiting job ≤ BullMQ',
  },
  { metric: 'e2e', peer: 'none', atLeast: 20_000, text: 'End to end ≥ 20,000 jobs/s (moonshot)' },
];

/** metric id → system → the figure of each repeat. */
export type Results = Map<string, Map<System, number[]>>;

export function record(results: Results, metric: string, system: System, value: number): void {
  let bySystem = results.get(metric);
  if (!bySystem) results.set(metric, (bySystem = new Map<System, number[]>()));
  bySystem.set(system, [...(bySystem.get(system) ?? []), value]);
}
