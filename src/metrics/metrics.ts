import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueState } from '../queue/index.js';

/** Figures a scrape reads fresh (queue depth, members): async, at most once per scrape. */
export interface ScrapeSources {
  /** Depth of each queue by state (waiting, active, delayed, dead). */
  readonly queueDepth?: () => Promise<readonly { type: string; state: string; count: number }[]>;
  /** Each job type's controls: paused, limits, what they hold back (read once per scrape). */
  readonly queueStates?: () => Promise<readonly QueueState[]>;
  /** Age of the oldest job waiting in each job type's queues (its partitions' oldest), seconds. */
  readonly oldestWaiting?: () => Promise<readonly { type: string; seconds: number }[]>;
  /** Live workers offering each job type this process knows (0: none). */
  readonly typeWorkers?: () => Promise<readonly { type: string; count: number }[]>;
  /** Live cluster members by role. */
  readonly nodes?: () => Promise<readonly { role: string; count: number }[]>;
  /** Each schedule's lag as of its latest fired job, seconds (tick to job accepted). */
  readonly scheduleLag?: () => Promise<readonly { schedule: string; seconds: number }[]>;
  /** This worker's running totals by type (the runners count them anyway: no extra work). */
  readonly jobs?: () => readonly JobTotals[];
}

export interface JobTotals {
  readonly type: string;
  readonly inFlight: number;
  readonly completed: number;
  readonly failed: number;
  readonly retried: number;
}

/**
 * The metrics of one process, in their own Registry (not prom-client's global one, so a test
 * may build several in one process). Hot paths only increment counters or observe durations;
 * everything that needs Redis is read when Prometheus scrapes.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly accepted: Counter<'type'>;
  readonly duration: Histogram<'type' | 'outcome'>;
  readonly wait: Histogram<'type'>;
  readonly redisErrors: Counter;
  private readonly sources: ScrapeSources[] = [];

  constructor(labels: Readonly<Record<string, string>> = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ ...labels });
    collectDefaultMetrics({ register: this.registry });
    this.accepted = new Counter({
      name: 'workmesh_jobs_accepted_total',
      help: 'Jobs this API process queued, by type (resends of a known idempotency key not counted).',
      labelNames: ['type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'workmesh_job_duration_seconds',
      help: "Time a job's handler ran on this worker, by type and outcome (ok, error).",
      labelNames: ['type', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.wait = new Histogram({
      name: 'workmesh_job_wait_seconds',
      help: "Time a job waited before this worker started it, by type: from its entry in the queue's stream (submission; for a delayed job or a retry, when it came due) to the start. Taken-over jobs not observed.",
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.redisErrors = new Counter({
      name: 'workmesh_redis_errors_total',
      help: "Errors reported by this process's Redis connections (each failed connect or reconnect counts).",
      registers,
    });
    const sources = this.sources;
    new Gauge({
      name: 'workmesh_queue_depth',
      help: 'Jobs in each queue by state: waiting (not yet claimed), active (claimed, not finished), delayed (due later), dead (failed for good). Read from Redis at scrape.',
      labelNames: ['type', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const s of sources) {
          for (const d of (await s.queueDepth?.().catch(() => [])) ?? []) {
            this.set({ type: d.type, state: d.state }, d.count);
          }
        }
      },
    });
    new Gauge({
      name: 'workmesh_queue_oldest_waiting_seconds',
      help: "Age of the oldest job of each type waiting to start (0: none waits): the first undelivered entry of each partition's stream, and the head of a gated queue's waiting set. Read from Redis at scrape.",
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const s of sources) {
          for (const o of (await s.oldestWaiting?.().catch(() => [])) ?? []) {
            this.set({ type: o.type }, o.seconds);
          }
        }
      },
    });
    // The three queue-control gauges share one read of Redis per scrape.
    let statesRead: { at: number; states: Promise<QueueState[]> } | undefined;
    const states = (): Promise<QueueState[]> => {
      const now = performance.now();
      if (!statesRead || now - statesRead.at > 1000) {
        statesRead = {
          at: now,
          states: Promise.all(
            sources.map((s) => s.queueStates?.().catch(() => []) ?? Promise.resolve([])),
          ).then((all) => all.flat()),
        };
      }
      return statesRead.states;
    };
    new Gauge({
      name: 'workmesh_queue_paused',
      help: 'Whether each job type is paused (1) or not (0). Read from Redis at scrape.',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const q of await states()) this.set({ type: q.type }, q.paused ? 1 : 0);
      },
    });
    new Gauge({
      name: 'workmesh_queue_held_back',
      help: 'Waiting jobs of each type a control holds back now, by reason: paused, rate (a full rate window or a retryAfterMs hold), concurrency (every slot taken), group (parked over a group limit). Read at scrape.',
      labelNames: ['type', 'reason'],
      registers,
      async collect() {
        this.reset();
        for (const q of await states()) {
          const h = q.heldBack;
          this.set({ type: q.type, reason: 'paused' }, h.byPause);
          this.set({ type: q.type, reason: 'rate' }, h.byRate);
          this.set({ type: q.type, reason: 'concurrency' }, h.byConcurrency);
          this.set({ type: q.type, reason: 'group' }, h.groupsParked);
        }
      },
    });
    new Gauge({
      name: 'workmesh_queue_limit',
      help: "Each type's limits as set (before the split over partitions): rate_max, rate_per_ms, concurrency, group_rate_max, group_rate_per_ms, group_concurrency. A limit not set has no series. Read at scrape.",
      labelNames: ['type', 'limit'],
      registers,
      async collect() {
        this.reset();
        for (const q of await states()) {
          const l = q.limits;
          const set = (limit: string, v: number | undefined): void => {
            if (v !== undefined) this.set({ type: q.type, limit }, v);
          };
          set('rate_max', l.rate?.max);
          set('rate_per_ms', l.rate?.perMs);
          set('concurrency', l.concurrency);
          set('group_rate_max', l.groupRate?.max);
          set('group_rate_per_ms', l.groupRate?.perMs);
          set('group_concurrency', l.groupConcurrency);
        }
      },
    });
    new Gauge({
      name: 'workmesh_cluster_nodes',
      help: 'Live cluster members by role, as registered in Redis. Read at scrape.',
      labelNames: ['role'],
      registers,
      async collect() {
        this.reset();
        for (const s of sources) {
          for (const n of (await s.nodes?.().catch(() => [])) ?? []) {
            this.set({ role: n.role }, n.count);
          }
        }
      },
    });
    new Gauge({
      name: 'workmesh_type_workers',
      help: 'Live workers that run each job type (0: none, its jobs wait), as registered in Redis. Read at scrape.',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const s of sources) {
          for (const w of (await s.typeWorkers?.().catch(() => [])) ?? []) {
            this.set({ type: w.type }, w.count);
          }
        }
      },
    });
    new Gauge({
      name: 'workmesh_schedule_lag_seconds',
      help: "Each schedule's lag as of its latest fired job: from its tick (Redis clock) to the job accepted. Read from Redis at scrape.",
      labelNames: ['schedule'],
      registers,
      async collect() {
        this.reset();
        for (const s of sources) {
          for (const l of (await s.scheduleLag?.().catch(() => [])) ?? []) {
            this.set({ schedule: l.schedule }, l.seconds);
          }
        }
      },
    });
    const totals = (): JobTotals[] => sources.flatMap((s) => s.jobs?.() ?? []);
    new Gauge({
      name: 'workmesh_jobs_in_flight',
      help: 'Jobs running in this worker process, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const t of totals()) this.set({ type: t.type }, t.inFlight);
      },
    });
    const outcomes = [
      ['completed', 'Jobs this worker finished with a value, by type.'],
      ['failed', 'Jobs this worker failed for good (retries exhausted or unrecoverable), by type.'],
      ['retried', 'Failed attempts this worker scheduled for a retry, by type.'],
    ] as const;
    for (const [field, help] of outcomes) {
      new Counter({
        name: `workmesh_jobs_${field}_total`,
        help,
        labelNames: ['type'],
        registers,
        // Mirrors the runners' own totals at scrape time, so running a job costs nothing more.
        collect() {
          this.reset();
          for (const t of totals()) this.inc({ type: t.type }, t[field]);
        },
      });
    }
  }

  /** Adds figures to read at each scrape. */
  addSources(sources: ScrapeSources): void {
    this.sources.push(sources);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
