/** What a node says about itself in the registry (docs/cluster.md). */
export interface Figures {
  /** Jobs running now. */
  readonly inFlight: number;
  /** Jobs finished `done` since start. */
  readonly processed: number;
  /** Jobs finished `failed` since start. */
  readonly failed: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** CPU used by the process since the previous heartbeat, in % of one core. */
  readonly cpuPercent: number;
  /** Event-loop delay since the previous heartbeat, p99, in ms. */
  readonly eventLoopLagMs: number;
}

export interface NodeInfo {
  readonly id: string;
  readonly role: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** Job types (queues) this node runs and how many jobs at once over all of them (workers). */
  readonly offers: { readonly types: readonly string[]; readonly concurrency: number };
  readonly figures: Figures;
  /** Its registration lapses this long after a heartbeat (WORKMESH_NODE_TTL_MS). */
  readonly ttlMs: number;
  /** Free-form extras (e.g. the API's URL). */
  readonly meta?: Readonly<Record<string, string>>;
}

/** A member as read from Redis: its info plus how old its last heartbeat is. */
export interface Member extends NodeInfo {
  readonly heartbeatAgeMs: number;
}

export type MembershipEvent = 'joined' | 'updated' | 'left';

export interface MembershipChange {
  readonly event: MembershipEvent;
  readonly node: NodeInfo;
  /** For `left`: `shutdown` (clean) or `expired` (heartbeat lapsed). */
  readonly reason?: 'shutdown' | 'expired';
}
