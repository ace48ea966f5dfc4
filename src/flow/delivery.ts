import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { queueOfJobId, runScript, type Keys } from '../redis/index.js';
import { FLOW_REDELIVER_AFTER_MS, MAX_CHAIN_STEPS } from './limits.js';

const FINAL = new Set(['done', 'failed', 'cancelled']);

/** What flow-count.lua answered. */
export type CountOutcome = 'released' | 'counted' | 'failed' | 'duplicate' | 'late' | 'missing';

/**
 * Hands a final child's outcome to its parent (docs/workflows.md, "Completion across slots"):
 * the script that made the child final put it in its queue's outbox (`notify`); this reads the
 * child, has the parent's queue count it (flow-count.lua: once, however often it is told),
 * then takes the entry out of the outbox. A parent that fails for it (policy `fail`) is final
 * in turn: its own parent is told next, up the tree. At-least-once: a worker that dies between
 * the count and the removal leaves the entry, which sweep() delivers again (a duplicate).
 */
export class FlowDelivery {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly deadTtlSec: number,
  ) {}

  /** Delivers one child's outcome (and, when its parent failed for it, the parent's). */
  async deliver(childId: string): Promise<CountOutcome | undefined> {
    let id = childId;
    let first: CountOutcome | undefined;
    for (let hop = 0; hop <= MAX_CHAIN_STEPS; hop++) {
      const queue = queueOfJobId(id);
      if (queue === undefined) return first;
      const [status, value, error, parent, onFail] = await this.redis.hmget(
        this.keys.job(id),
        'status',
        'value',
        'error',
        'parent',
        'onFail',
      );
      let outcome: CountOutcome | undefined;
      // Not final (revived meanwhile: it is told again when final), or gone: nothing to tell.
      if (parent && status && FINAL.has(status)) {
        const parentQueue = queueOfJobId(parent)!;
        outcome = (await runScript(
          this.redis,
          'flow-count',
          [
            ...this.keys.queue(parentQueue),
            this.keys.job(parent),
            ...this.keys.finalKeys(parentQueue),
          ],
          [
            Date.now(),
            this.deadTtlSec,
            parent,
            id,
            status,
            status === 'done' ? (value ?? 'null') : (error ?? ''),
            onFail ?? 'fail',
          ],
        )) as CountOutcome;
      }
      await this.redis.zrem(this.keys.notify(queue), id);
      first ??= outcome;
      if (outcome !== 'failed' || !parent) return first;
      id = parent;
    }
    return first;
  }

  /**
   * Delivers the outbox entries of these queues older than a few seconds: left by a worker
   * that died before delivering, or written by a script no worker follows up (a cancel, the
   * poison rule of start). Answers how many were delivered.
   */
  async sweep(queues: readonly string[], limit = 100): Promise<number> {
    const before = Date.now() - FLOW_REDELIVER_AFTER_MS;
    let delivered = 0;
    for (const queue of queues) {
      const ids = await this.redis.zrangebyscore(
        this.keys.notify(queue),
        '-inf',
        before,
        'LIMIT',
        0,
        limit,
      );
      for (const id of ids) {
        await this.deliver(id);
        delivered += 1;
      }
    }
    return delivered;
  }
}

/** Runs sweep() every intervalMs until stopped; logs (never throws) its failures. */
export function startFlowSweeper(
  delivery: FlowDelivery,
  queues: readonly string[],
  log: Logger,
  intervalMs = 1000,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = delivery
      .sweep(queues)
      .then(
        (n) => {
          if (n > 0) log.info({ delivered: n }, 'flow outbox: delivered left-over completions');
        },
        (err: unknown) => log.warn({ err: (err as Error).message }, 'flow outbox sweep failed'),
      )
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
