import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisOutage, type Keys } from '../redis/index.js';
import { addTo, bucketOf, type Histogram } from './buckets.js';

export const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;
/**
 * Minutes per hash: 5 minutes of a busy type are about 100 fields, under Redis' default
 * hash-max-listpack-entries (128), so each hash stays a compact listpack: a busy day costs a
 * sixth of what one hash per day (a hashtable) did, measured in test/metrics-history.test.ts.
 */
export const BLOCK_MINUTES = 5;
/** Days of history kept after a day ends. */
export const HISTORY_DAYS = 14;
const STOP_FLUSH_MS = 2000;

/** One type's figures for one minute, as this process saw them. */
interface Minute {
  accepted: number;
  done: number;
  failed: number;
  readonly wait: Histogram;
  readonly run: Histogram;
}

function emptyMinute(): Minute {
  return { accepted: 0, done: 0, failed: 0, wait: new Map(), run: new Map() };
}

/**
 * The metrics history of one process (docs/operations.md, "Metrics history"): counts and
 * duration histograms per type and minute, kept in memory and added to Redis once per flush
 * (every flushMs), one MULTI of HINCRBYs per type: recording a job is a few Map updates, never
 * a Redis command. A process that crashes loses its unflushed interval (at most flushMs); a
 * flush that fails is kept and added to the next one.
 */
export class HistoryRecorder {
  /** type -> minute (since the epoch) -> figures. */
  private pending = new Map<string, Map<number, Minute>>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * The current minute, moved on by a timer at each minute's start: recording a job reads no
   * clock (Date.now() was a third of its cost on a loaded machine).
   */
  private nowMinute = Math.floor(Date.now() / MINUTE_MS);
  private minuteTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Per type: its current minute's figures and the batch they are in (a flush swaps it). */
  private readonly latest = new Map<
    string,
    { minute: number; batch: Map<string, Map<number, Minute>>; figures: Minute }
  >();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly flushMs: number,
  ) {}

  /** The figures of the type's current minute (the last one asked for, kept at hand). */
  private minute(type: string): Minute {
    const m = this.nowMinute;
    const last = this.latest.get(type);
    if (last !== undefined && last.minute === m && last.batch === this.pending) return last.figures;
    let byMinute = this.pending.get(type);
    if (!byMinute) this.pending.set(type, (byMinute = new Map<number, Minute>()));
    let figures = byMinute.get(m);
    if (!figures) byMinute.set(m, (figures = emptyMinute()));
    this.latest.set(type, { minute: m, batch: this.pending, figures });
    return figures;
  }

  accepted(type: string, count = 1): void {
    this.minute(type).accepted += count;
  }

  /** A job started after waiting waitMs since its entry in the stream. */
  started(type: string, waitMs: number): void {
    const h = this.minute(type).wait;
    const b = bucketOf(waitMs);
    h.set(b, (h.get(b) ?? 0) + 1);
  }

  /** An attempt ended after runMs: done, failed for good, or anything else (a retry). */
  finished(type: string, result: 'done' | 'failed' | 'other', runMs: number): void {
    const m = this.minute(type);
    if (result === 'done') m.done += 1;
    else if (result === 'failed') m.failed += 1;
    const b = bucketOf(runMs);
    m.run.set(b, (m.run.get(b) ?? 0) + 1);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
    if (!this.minuteTimer) this.tickMinute();
  }

  private readonly tickMinute = (): void => {
    const now = Date.now();
    this.nowMinute = Math.floor(now / MINUTE_MS);
    this.minuteTimer = setTimeout(this.tickMinute, MINUTE_MS - (now % MINUTE_MS) + 1);
    this.minuteTimer.unref();
  };

  /**
   * Stops the timers and writes what is pending (shutdown), waiting STOP_FLUSH_MS at most: a
   * Redis that is away must not hold up a shutdown for a few seconds of history.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.minuteTimer);
    this.timer = undefined;
    this.minuteTimer = undefined;
    await Promise.race([this.flush(), sleep(STOP_FLUSH_MS, undefined, { ref: false })]);
  }

  /** Adds what was recorded since the last flush to Redis. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await Promise.all(
      [...batch].map(async ([type, byMinute]) => {
        try {
          await this.writeType(type, byMinute);
        } catch (err) {
          // Through an outage, one line for the whole process (redisOutage), not one a flush.
          if (!redisOutage.failed(this.log, 'history flush', err))
            this.log.warn(
              { type, err: (err as Error).message },
              'metrics history not written; kept for the next flush',
            );
          this.keep(type, byMinute);
        }
      }),
    );
  }

  /** One MULTI for the type: every key it touches shares the type's hash tag. */
  private async writeType(type: string, byMinute: Map<number, Minute>): Promise<void> {
    const multi = this.redis.multi();
    const blocks = new Set<number>();
    for (const [minute, f] of byMinute) {
      const block = Math.floor(minute / BLOCK_MINUTES);
      blocks.add(block);
      const key = this.keys.history(type, block);
      const at = minute - block * BLOCK_MINUTES;
      if (f.accepted) multi.hincrby(key, `${at}a`, f.accepted);
      if (f.done) multi.hincrby(key, `${at}d`, f.done);
      if (f.failed) multi.hincrby(key, `${at}f`, f.failed);
      for (const [b, n] of f.wait) multi.hincrby(key, `${at}w${b}`, n);
      for (const [b, n] of f.run) multi.hincrby(key, `${at}r${b}`, n);
    }
    for (const block of blocks) {
      const endSec = (block + 1) * BLOCK_MINUTES * 60;
      multi.expireat(this.keys.history(type, block), endSec + HISTORY_DAYS * 86_400);
    }
    const replies = await multi.exec();
    const failed = replies?.find(([err]) => err);
    if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted');
  }

  /** Puts figures that could not be written back, merged with any recorded since. */
  private keep(type: string, byMinute: Map<number, Minute>): void {
    const oldest = Math.floor(Date.now() / MINUTE_MS) - HISTORY_DAYS * MINUTES_PER_DAY;
    let into = this.pending.get(type);
    if (!into) this.pending.set(type, (into = new Map<number, Minute>()));
    for (const [minute, f] of byMinute) {
      if (minute < oldest) continue;
      const m = into.get(minute) ?? emptyMinute();
      m.accepted += f.accepted;
      m.done += f.done;
      m.failed += f.failed;
      addTo(m.wait, f.wait);
      addTo(m.run, f.run);
      into.set(minute, m);
    }
  }
}
