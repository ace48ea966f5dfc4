import type { Member } from '../cluster/index.js';
import type { QueueFigures } from './snapshot.js';

/** A membership change as the monitor saw it. */
export interface MembershipEntry {
  /** ms since the epoch. */
  readonly at: number;
  readonly event: 'joined' | 'left';
  readonly nodeId: string;
  readonly role: string;
  readonly host: string;
  /** For `left`: `shutdown` (clean) or `expired` (heartbeat lapsed). */
  readonly reason?: string;
}

/** The latest event of a job the monitor heard of. */
export interface RecentJob {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  /** ms since the epoch, when the monitor heard the event. */
  readonly at: number;
}

/** A queue with its rate over the last interval. */
export interface QueueView extends QueueFigures {
  /** Jobs finished (done + failed) per second over the last interval. */
  readonly perSec: number;
}

/** Cluster-wide throughput and latency over one interval. */
export interface ThroughputPoint {
  readonly at: number;
  readonly acceptedPerSec: number;
  readonly donePerSec: number;
  readonly failedPerSec: number;
  /** End-to-end latency (accepted to final) of the jobs finished in the interval, ms; null: none. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
}

/** One node's runtime health at one heartbeat. */
export interface NodePoint {
  readonly at: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  readonly cpuPercent: number;
  readonly eventLoopLagMs: number;
  readonly inFlight: number;
}

/** The whole read model: what sysmon draws, the console shows and pushes live. */
export interface MonitorSnapshot {
  readonly at: number;
  /** The monitor's own node id. */
  readonly monitor: string;
  readonly intervalMs: number;
  readonly redisOk: boolean;
  readonly nodes: Member[];
  readonly queues: QueueView[];
  /** Newest last. */
  readonly events: MembershipEntry[];
  /** Newest first. */
  readonly recentJobs: RecentJob[];
  readonly throughput: ThroughputPoint;
  readonly history: {
    readonly throughput: ThroughputPoint[];
    readonly nodes: Readonly<Record<string, NodePoint[]>>;
  };
}
