import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { ClusterNode, MembershipChange } from '../cluster/index.js';
import { isFinalStatus } from '../job-schema/index.js';
import type { Logger } from '../log/index.js';
import { queueOfJobId, redisOutage, type Keys } from '../redis/index.js';
import { CounterRates, percentile, round } from './rates.js';
import { Ring } from './ring.js';
import { readClusterSnapshot, type ClusterSnapshot } from './snapshot.js';
import type {
  MembershipEntry,
  MonitorSnapshot,
  NodePoint,
  RecentJob,
  ThroughputPoint,
} from './types.js';

export interface MonitorOptions {
  readonly redis: Redis;
  /** A connection of its own for the job-event subscription (it is put in subscriber mode). */
  readonly subscriber: Redis;
  readonly keys: Keys;
  /** Names the monitor in its snapshots (its node id). */
  readonly nodeId: string;
  /** The monitor's cluster node, whose membership events feed the event list; absent for a one-off read. */
  readonly node?: ClusterNode;
  /** Queues to show even when no live worker offers them (the known job types). */
  readonly queueNames: readonly string[];
  readonly intervalMs: number;
  readonly log: Logger;
  /** Points kept per chart (default 120: two minutes at one per second). */
  readonly historyLength?: number;
}

const RECENT_JOBS = 50;
const EVENTS = 50;
/** Finished jobs whose latency is read per interval; more are counted but not timed. */
const LATENCY_SAMPLES = 200;

/**
 * The live read model: reads the cluster from Redis every interval, and keeps what a single
 * read cannot tell — rates, charts' history, membership events, the latest job events.
 * Emits `snapshot` (MonitorSnapshot) after each read.
 */
export class Monitor extends EventEmitter {
  private readonly rates = new CounterRates();
  private readonly throughput: Ring<ThroughputPoint>;
  private readonly nodeHistory = new Map<string, Ring<NodePoint>>();
  private readonly events = new Ring<MembershipEntry>(EVENTS);
  private readonly recent = new Map<string, RecentJob>();
  private finished = new Set<string>();
  private latest: MonitorSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: MonitorOptions) {
    super();
    // One listener per open console stream: many browsers are normal, not a leak.
    this.setMaxListeners(0);
    this.throughput = new Ring(options.historyLength ?? 120);
    this.latest = this.compose({ at: Date.now(), nodes: [], queues: [] }, false);
  }

  async start(): Promise<void> {
    const { node, subscriber, keys } = this.options;
    node?.on('joined', (change: MembershipChange) => this.onMembership(change));
    node?.on('left', (change: MembershipChange) => this.onMembership(change));
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
      this.onJobEvents(message),
    );
    await subscriber.psubscribe(`${keys.prefix}:{*}:events`);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    const { subscriber } = this.options;
    await subscriber.quit().catch(() => subscriber.disconnect());
  }

  snapshot(): MonitorSnapshot {
    return this.latest;
  }

  /** Reads now (the timer also calls it); never throws: a failed read keeps the last figures. */
  tick(): Promise<void> {
    this.ticking ??= this.read().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async read(): Promise<void> {
    const { redis, keys, queueNames, log } = this.options;
    try {
      const cluster = await readClusterSnapshot(redis, keys, queueNames);
      const finished = [...this.finished];
      this.finished = new Set();
      const latencies = await this.latencies(finished.slice(0, LATENCY_SAMPLES));
      this.latest = this.compose(cluster, true, latencies);
      this.failures = 0;
      redisOutage.succeeded(log);
    } catch (err) {
      this.failures += 1;
      if (!redisOutage.failed(log, 'monitor', err) && (this.failures & (this.failures - 1)) === 0)
        log.warn({ err: (err as Error).message, failures: this.failures }, 'monitor read failed');
      this.latest = { ...this.latest, at: Date.now(), redisOk: false };
    }
    this.emit('snapshot', this.latest);
  }

  private compose(
    cluster: ClusterSnapshot,
    redisOk: boolean,
    latencies: number[] = [],
  ): MonitorSnapshot {
    const { perQueue, total } = this.rates.update(cluster.queues, cluster.at);
    const point: ThroughputPoint = {
      at: cluster.at,
      ...total,
      latencyP50Ms: percentile(latencies, 50),
      latencyP95Ms: percentile(latencies, 95),
    };
    if (redisOk) this.throughput.push(point);
    const live = new Set(cluster.nodes.map((n) => n.id));
    for (const id of this.nodeHistory.keys()) if (!live.has(id)) this.nodeHistory.delete(id);
    for (const n of cluster.nodes) {
      let ring = this.nodeHistory.get(n.id);
      if (!ring) this.nodeHistory.set(n.id, (ring = new Ring(this.throughput.capacity)));
      const f = n.figures;
      ring.push({
        at: cluster.at,
        heapUsedBytes: f.heapUsedBytes,
        rssBytes: f.rssBytes,
        cpuPercent: f.cpuPercent,
        eventLoopLagMs: f.eventLoopLagMs,
        inFlight: f.inFlight,
      });
    }
    return {
      at: cluster.at,
      monitor: this.options.nodeId,
      intervalMs: this.options.intervalMs,
      redisOk,
      nodes: cluster.nodes,
      queues: cluster.queues.map((q) => ({ ...q, perSec: perQueue.get(q.queue) ?? 0 })),
      events: this.events.toArray(),
      recentJobs: [...this.recent.values()].reverse(),
      throughput: point,
      history: {
        throughput: this.throughput.toArray(),
        nodes: Object.fromEntries([...this.nodeHistory].map(([id, r]) => [id, r.toArray()])),
      },
    };
  }

  /** End-to-end latency (createdAt to finishedAt) of finished jobs still in Redis, ms. */
  private async latencies(ids: readonly string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const { redis, keys } = this.options;
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.job(id), 'createdAt', 'finishedAt');
    const replies = (await pipeline.exec()) ?? [];
    const out: number[] = [];
    for (const [err, value] of replies) {
      if (err) continue;
      const [created, finished] = value as [string | null, string | null];
      if (created && finished) out.push(round(Number(finished) - Number(created)));
    }
    return out;
  }

  private onMembership(change: MembershipChange): void {
    if (change.event === 'updated') return;
    this.events.push({
      at: Date.now(),
      event: change.event,
      nodeId: change.node.id,
      role: change.node.role,
      host: change.node.host,
      ...(change.reason ? { reason: change.reason } : {}),
    });
  }

  private onJobEvents(message: string): void {
    let events: [string, number, string][];
    try {
      events = JSON.parse(message) as [string, number, string][];
    } catch {
      return;
    }
    const at = Date.now();
    for (const [id, , status] of events) {
      const type = queueOfJobId(id);
      if (type === undefined) continue;
      // Re-inserting moves the job to the end: the map stays ordered by latest event.
      this.recent.delete(id);
      this.recent.set(id, { id, type, status, at });
      if (this.recent.size > RECENT_JOBS) {
        const oldest = this.recent.keys().next();
        if (!oldest.done) this.recent.delete(oldest.value);
      }
      if (isFinalStatus(status) && status !== 'cancelled' && this.finished.size < 10_000)
        this.finished.add(id);
    }
  }
}
