import type { Redis } from 'ioredis';
import type { Logger } from '../log/index.js';
import { fireDue, type FireContext } from './fire.js';
import { redisNow } from './place.js';

/**
 * Longest a scheduler loop sleeps: a new or changed schedule (or one that another process's
 * death left due) is seen within this time. The loop sleeps until the earliest next tick when
 * that is sooner.
 */
export const SCHEDULER_POLL_MS = 1000;
/** Due schedules of one queue fired per pass at most; more wait for the next pass (at once). */
const DUE_PER_PASS = 100;

export interface SchedulerOptions extends FireContext {
  readonly log: Logger;
  /** Told each job fired here, with its lag (tick → accepted). */
  readonly onFired?: (scheduleId: string, jobId: string, lagMs: number) => void;
  readonly pollMs?: number;
}

/**
 * The scheduler loop every API and worker process runs: no leader, no beat process. Each pass
 * reads Redis' clock, the queues holding schedules (the index) and their due ticks, and tries
 * to fire each; schedule-fire lets one process win a tick, the others are refused. Any process
 * alive keeps the schedules going.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;
  private errors = 0;

  constructor(private readonly options: SchedulerOptions) {}

  private get redis(): Redis {
    return this.options.redis;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** Errors a pass met since start (each is logged, and the loop goes on). */
  get errorCount(): number {
    return this.errors;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.runPass().then(
        (sleep) => this.schedule(sleep),
        (err: unknown) => {
          this.errors++;
          this.options.log.warn({ err: (err as Error).message }, 'scheduler pass failed; retrying');
          this.schedule(this.options.pollMs ?? SCHEDULER_POLL_MS);
        },
      );
    }, ms);
    this.timer.unref();
  }

  /** One pass: fires what is due; answers how long to sleep before the next. */
  async runPass(): Promise<number> {
    const poll = this.options.pollMs ?? SCHEDULER_POLL_MS;
    const { keys } = this.options;
    const queues = new Set(Object.values(await this.redis.hgetall(keys.scheduleIndex())));
    let now = await redisNow(this.redis);
    let earliest = now + poll;
    for (const queue of queues) {
      if (this.stopped) break;
      const due = await this.redis.zrangebyscore(
        keys.scheduleTicks(queue),
        '-inf',
        now,
        'WITHSCORES',
        'LIMIT',
        0,
        DUE_PER_PASS,
      );
      for (let i = 0; i < due.length; i += 2) {
        const id = due[i]!;
        const outcome = await fireDue(this.options, queue, id, Number(due[i + 1]), now);
        if (outcome.kind === 'fired') {
          this.options.log.debug(
            { scheduleId: id, jobId: outcome.id, tick: outcome.tick },
            'schedule fired',
          );
          this.options.onFired?.(id, outcome.id, outcome.lagMs);
        } else if (outcome.kind === 'skipped') {
          this.options.log.info(
            { scheduleId: id, tick: outcome.tick },
            'schedule tick skipped: previous job still running',
          );
        }
      }
      const [, first] = await this.redis.zrange(keys.scheduleTicks(queue), 0, 0, 'WITHSCORES');
      if (first !== undefined) earliest = Math.min(earliest, Number(first));
      if (due.length === DUE_PER_PASS * 2) earliest = now;
    }
    now = await redisNow(this.redis);
    return Math.max(0, Math.min(poll, earliest - now));
  }
}
