import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { Keys, connectRedis, redisOutage, runScript } from '../redis/index.js';
import { FigureSampler, type JobFigures } from './figures.js';
import { Messaging, type Callable } from './messaging.js';
import type { Member, MembershipChange, NodeInfo } from './node-info.js';
import { readMembers } from './read-members.js';
import { disconnectNode } from './disconnect.js';
import { DEV_SECRET, Signer } from './signing.js';
import { VERSION } from './version.js';

export interface ClusterNodeOptions {
  readonly config: Config;
  readonly nodeId: string;
  readonly role: string;
  readonly log: Logger;
  readonly offers?: NodeInfo['offers'];
  readonly jobFigures?: () => JobFigures;
  readonly meta?: Record<string, string>;
  /**
   * Called for each node this one declares gone (its heartbeat lapsed): the queue side hands the jobs it held back to their queues (requeueGoneNode).
   * An error fails that reap (counted in loopErrors.reap, logged), as any other reap error.
   */
  readonly onNodeGone?: NodeGoneHook;
}

/** Called with the gone node, and this node's Redis connection and keys to act with. */
export type NodeGoneHook = (gone: NodeInfo, on: { redis: Redis; keys: Keys }) => Promise<void>;

export interface CallOptions {
  readonly timeoutMs?: number;
}

/** How often the live view is checked against Redis, to heal a missed pub/sub message. */
const RECONCILE_MS = 5000;
/**
 * How long a member must have been missing from Redis (seen missing by two reconciles) before
 * the reconcile drops it: a node leaving removes itself and then publishes `left`, so a
 * reconcile between the two would otherwise report a clean shutdown as `expired`.
 */
const MISSING_GRACE_MS = 1000;

/**
 * This process as a member of the cluster: registers and heartbeats, keeps a live view of the
 * other members (events by pub/sub, reconciled with Redis), declares gone the nodes whose
 * heartbeat lapsed and hands their jobs back to the queues, and sends messages and calls to
 * any member: by id, by role, or to itself.
 *
 * Events: `joined`, `updated`, `left` (MembershipChange) and `message` (message, fromNodeId).
 */
export class ClusterNode extends EventEmitter {
  readonly id: string;
  readonly role: string;
  readonly keys: Keys;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly messaging: Messaging;
  private readonly signer: Signer;
  private readonly sampler: FigureSampler;
  private readonly view = new Map<string, NodeInfo>();
  /** Members of the view a reconcile found missing from Redis: performance.now() it did. */
  private readonly missingSince = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = Date.now();
  private roundRobin = 0;
  private stopped = false;
  /** performance.now() of the last heartbeat Redis acknowledged; -Infinity before the first. */
  private lastBeatAt = -Infinity;
  readonly loopErrors = { heartbeat: 0, reap: 0, reconcile: 0 };

  constructor(private readonly options: ClusterNodeOptions) {
    super();
    const { config, nodeId, log } = options;
    this.id = nodeId;
    this.role = options.role;
    this.keys = new Keys(config.prefix);
    this.redis = connectRedis(config.redisUrl, log, { name: `wm-cluster-${nodeId}` });
    this.subscriber = connectRedis(config.redisUrl, log, {
      blocking: true,
      name: `wm-sub-${nodeId}`,
    });
    if (config.clusterSecret === undefined) {
      log.warn(
        'WORKMESH_CLUSTER_SECRET is not set: messages are signed with the public development secret',
      );
    }
    this.signer = new Signer(config.clusterSecret ?? DEV_SECRET);
    this.sampler = new FigureSampler(
      options.jobFigures ?? (() => ({ inFlight: 0, processed: 0, failed: 0 })),
    );
    this.messaging = new Messaging(
      nodeId,
      this.redis,
      this.subscriber,
      this.keys,
      this.signer,
      {
        message: (message, from) => this.emit('message', message, from),
        event: (body) => this.applyChange(body as MembershipChange),
      },
      log,
    );
    this.register('ping', () => ({ pong: true, node: this.id, at: Date.now() }));
    this.register('info', () => ({ ...this.info(), functions: this.messaging.functionNames() }));
    // Lets any node make this one call a third: messages between any two members, from anywhere.
    this.register('call', (args) => {
      const {
        target,
        name,
        args: inner,
        timeoutMs,
      } = (args ?? {}) as {
        target?: string;
        name?: string;
        args?: unknown;
        timeoutMs?: number;
      };
      return this.call(
        String(target),
        String(name),
        inner,
        timeoutMs === undefined ? {} : { timeoutMs },
      );
    });
    this.register('stats', () => ({
      figures: this.sampler.sample(),
      dropped: { ...this.signer.dropped },
      loopErrors: { ...this.loopErrors },
    }));
  }

  /** Joins: subscribes, registers, loads the current members, starts the loops. */
  async start(): Promise<void> {
    const { heartbeatMs } = this.options.config;
    await this.messaging.start();
    await this.heartbeat();
    await this.reconcile();
    this.every(heartbeatMs, 'heartbeat', () => this.heartbeat());
    // Checking twice per heartbeat keeps detection within TTL + heartbeat/2.
    this.every(Math.max(50, Math.floor(heartbeatMs / 2)), 'reap', () => this.reap());
    this.every(RECONCILE_MS, 'reconcile', () => this.reconcile());
    // After a reconnect the subscription was re-made: heal what was missed meanwhile.
    this.subscriber.on('ready', () => void this.reconcile().catch(() => undefined));
  }

  /**
   * Whether peers see this node now: it is running and Redis acknowledged a heartbeat within
   * the node TTL (past it, others may have declared it gone). What /readyz reports.
   */
  registered(): boolean {
    return !this.stopped && performance.now() - this.lastBeatAt < this.options.config.nodeTtlMs;
  }

  /** Leaves at once (others see `left`, reason shutdown) and disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.messaging.close();
    this.sampler.stop();
    try {
      if (this.redis.status === 'ready') {
        await runScript(
          this.redis,
          'leave',
          [this.keys.members(), this.keys.nodeInfo()],
          [this.id],
        );
        await this.messaging.publishEvent({
          event: 'left',
          node: this.info(),
          reason: 'shutdown',
        } satisfies MembershipChange);
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not deregister');
    }
    await Promise.all(
      [this.redis, this.subscriber].map((c) => c.quit().catch(() => c.disconnect())),
    );
  }

  /** The live members as this node sees them (itself included). */
  members(): NodeInfo[] {
    return [...this.view.values()];
  }

  /** The members as Redis has them now, with heartbeat ages. */
  readMembers(): Promise<Member[]> {
    return readMembers(this.redis, this.keys);
  }

  register(name: string, fn: Callable): void {
    this.messaging.register(name, fn);
  }

  /**
   * Calls a function on a node: `target` is a node id, a role (`worker`: one of them, in turn),
   * or `self`. Throws WM_ERR_CLUSTER_TIMEOUT / _UNKNOWN_FUNCTION / _NO_NODE / _CALL_FAILED.
   */
  async call(
    target: string,
    name: string,
    args?: unknown,
    options: CallOptions = {},
  ): Promise<unknown> {
    const nodeId = this.resolve(target);
    if (nodeId === this.id) return this.messaging.invokeLocal(name, args, this.id);
    return this.messaging.call(
      nodeId,
      name,
      args,
      options.timeoutMs ?? this.options.config.callTimeoutMs,
    );
  }

  /** Sends a message (`message` event on the target); resolves to whether it was delivered. */
  async send(target: string, message: unknown): Promise<boolean> {
    const nodeId = this.resolve(target);
    if (nodeId === this.id) {
      this.emit('message', message, this.id);
      return true;
    }
    return this.messaging.send(nodeId, message);
  }

  broadcast(message: unknown): Promise<number> {
    return this.messaging.broadcast(message);
  }

  /** Counts of messages dropped for a bad signature, staleness or replay. */
  dropped(): Readonly<Record<string, number>> {
    return { ...this.signer.dropped };
  }

  info(): NodeInfo {
    return {
      id: this.id,
      role: this.role,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      startedAt: this.startedAt,
      offers: this.options.offers ?? { types: [], concurrency: 0 },
      figures: this.sampler.sample(),
      ttlMs: this.options.config.nodeTtlMs,
      ...(this.options.meta ? { meta: this.options.meta } : {}),
    };
  }

  private resolve(target: string): string {
    if (target === 'self' || target === this.id) return this.id;
    if (this.view.has(target)) return target;
    const candidates = [...this.view.values()].filter((n) => n.role === target).map((n) => n.id);
    if (candidates.length === 0) {
      throw new WorkmeshError(
        'WM_ERR_CLUSTER_NO_NODE',
        `no live node with id or role ${JSON.stringify(target)}`,
      );
    }
    this.roundRobin = (this.roundRobin + 1) % candidates.length;
    return candidates[this.roundRobin]!;
  }

  private every(ms: number, name: keyof ClusterNode['loopErrors'], fn: () => Promise<void>): void {
    let running = false;
    this.timers.push(
      setInterval(() => {
        if (running || this.stopped) return;
        running = true;
        fn()
          .then(() => redisOutage.succeeded(this.options.log))
          .catch((err: unknown) => {
            const count = (this.loopErrors[name] += 1);
            // An outage or failover: logged once for the process. Any other error: the first
            // failure, then every 2^n-th, visible without flooding the log.
            if (redisOutage.failed(this.options.log, name, err)) return;
            if ((count & (count - 1)) === 0) {
              this.options.log.warn(
                { err: (err as Error).message, loop: name, failures: count },
                'cluster loop failed; retrying',
              );
            }
          })
          .finally(() => (running = false));
      }, ms),
    );
  }

  private async heartbeat(): Promise<void> {
    const info = this.info();
    const [joined] = (await runScript(this.redis, 'heartbeat', this.keys.registry(), [
      this.id,
      JSON.stringify(info),
      this.options.config.nodeTtlMs,
    ])) as [number, number];
    this.lastBeatAt = performance.now();
    if (joined === 1) this.options.log.info('joined the cluster');
    await this.messaging.publishEvent({
      event: joined === 1 ? 'joined' : 'updated',
      node: info,
    } satisfies MembershipChange);
  }

  /** Declares gone the nodes whose heartbeat lapsed; hands their claimed jobs back at once. */
  private async reap(): Promise<void> {
    const reply = (await runScript(this.redis, 'reap', this.keys.registry(), [
      100,
      this.options.config.nodeTtlMs,
    ])) as (string | null)[];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const id = reply[i]!;
      const info = reply[i + 1] ? (JSON.parse(reply[i + 1]!) as NodeInfo) : undefined;
      const node: NodeInfo = info ?? {
        ...this.info(),
        id,
        role: 'unknown',
        offers: { types: [], concurrency: 0 },
      };
      this.options.log.warn({ node: id }, 'node declared gone: heartbeat lapsed');
      await this.messaging.publishEvent({
        event: 'left',
        node,
        reason: 'expired',
      } satisfies MembershipChange);
      this.applyChange({ event: 'left', node, reason: 'expired' });
      const closed = await disconnectNode(this.redis, id).catch((err: unknown) => {
        this.options.log.warn(
          { err: (err as Error).message, node: id },
          'could not close the connections of a gone node',
        );
        return 0;
      });
      if (closed > 0)
        this.options.log.warn({ node: id, closed }, 'closed the Redis connections of a gone node');
      await this.options.onNodeGone?.(node, { redis: this.redis, keys: this.keys });
    }
  }

  private async reconcile(): Promise<void> {
    const live = await readMembers(this.redis, this.keys);
    const liveIds = new Set(live.map((m) => m.id));
    const now = performance.now();
    for (const id of this.missingSince.keys()) {
      if (!this.view.has(id) || liveIds.has(id)) this.missingSince.delete(id);
    }
    for (const [id, node] of this.view) {
      if (liveIds.has(id)) continue;
      const since = this.missingSince.get(id);
      if (since === undefined) this.missingSince.set(id, now);
      else if (now - since >= MISSING_GRACE_MS) {
        this.missingSince.delete(id);
        this.applyChange({ event: 'left', node, reason: 'expired' });
      }
    }
    for (const member of live) {
      const { heartbeatAgeMs: _age, ...node } = member;
      this.applyChange({ event: this.view.has(node.id) ? 'updated' : 'joined', node });
    }
  }

  private applyChange(change: MembershipChange): void {
    const known = this.view.has(change.node.id);
    if (change.event === 'left') {
      if (!known) return;
      this.view.delete(change.node.id);
      this.emit('left', change);
      return;
    }
    this.view.set(change.node.id, change.node);
    this.emit(known ? 'updated' : 'joined', { ...change, event: known ? 'updated' : 'joined' });
  }
}
