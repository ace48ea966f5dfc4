import type { Redis } from 'ioredis';
import {
  GROUP,
  isCluster,
  queuesOfType,
  runScript,
  typeOfQueue,
  type Keys,
} from '../redis/index.js';
import type { JobOptions } from './job-options.js';
import { pruneDead } from './admin.js';
import { trimJobsIndex } from './list-jobs.js';
import { itemAnswer } from './item-answer.js';
import { dropConsumer, requeueEntries } from './requeue.js';
import { TurnBatcher } from './turn-batcher.js';

/** A job a worker now holds: run it, then finish it with the same sid and attempt. */
export interface ClaimedJob {
  readonly id: string;
  readonly sid: string;
  readonly attempt: number;
  readonly data: unknown;
  readonly options: JobOptions;
  /**
   * Set when the stored job cannot be run as it is (its `data` or `opts` is not JSON: written
   * by another producer): the worker fails this job at once with it, without a handler call.
   */
  readonly invalid?: string;
}

/**
 * A job's outcome, ready for Redis: the value already serialized to JSON; an `error` is
 * retried at retryAt while attempts remain, a `fatal` one fails at once.
 */
export type Outcome =
  | { readonly kind: 'done'; readonly json: string }
  | {
      readonly kind: 'hold';
      readonly error: string;
      /** Until when (ms since the epoch) the type or the job's group is held back. */
      readonly untilMs: number;
      readonly scope: HoldScope;
    }
  | { readonly kind: 'error'; readonly error: string; readonly retryAt: number }
  | { readonly kind: 'fatal'; readonly error: string };

/** What a handler's RetryAfterError holds back: its job's type, or its job's group. */
export type HoldScope = 'type' | 'group';

/** What finish() did: see finish.lua; `held`: see hold.lua. */
export type FinishResult = 'done' | 'retry' | 'failed' | 'cancelled' | 'refused' | 'held';
const FINISH_RESULTS: readonly FinishResult[] = ['refused', 'done', 'retry', 'failed', 'cancelled'];

interface FinishItem {
  readonly job: ClaimedJob;
  readonly outcome: Outcome;
}

type StreamEntry = [sid: string, fields: string[] | null];

interface Claimed {
  /** Entries read (skipped ones included). */
  readonly read: number;
  readonly jobs: ClaimedJob[];
}

/** What the poison rule and dead letters need (the worker's config). */
export interface ConsumerLimits {
  /** How long a dead letter is kept. */
  readonly deadTtlSec: number;
  /** Takeovers of an unfinished attempt a job may have and still run (start-entry.lua). */
  readonly maxRecoveries: number;
  /** The type's partition count (1: none): its limits are split over them (gate.lua). */
  readonly partitions?: number;
}

/** gate.lua's answer, but the jobs. */
interface GateWait {
  readonly waitMs: number;
  readonly signalId: string;
  readonly streamId: string;
}

const PRUNE_DEAD_EVERY_MS = 60_000;
/** The jobs index's trim: how often, and how many entries past its expired oldest end. */
const TRIM_INDEX_EVERY_MS = 1000;
export const TRIM_INDEX_BUDGET = 500;
/**
 * How often a worker that claims without waiting has claim.lua look at the queue's `gated`
 * flag: a plain job's claims pay no controls read, and a queue paused or limited meanwhile is
 * seen within this (docs/queues.md; the pause's promise is 1 s).
 */
export const GATED_RECHECK_MS = 250;

const NO_OPTIONS: JobOptions = Object.freeze({});

/** A job's stored options: most jobs have none, and share one frozen object. */
function parseOptions(json: string): JobOptions {
  return json === '{}' ? NO_OPTIONS : (JSON.parse(json) as JobOptions);
}

/**
 * A claimed job from the fields a script answered. Text that is not JSON fails this job alone
 * (`invalid`), never the batch it was claimed with.
 */
function claimedJob(
  sid: string,
  id: string,
  data: string,
  attempt: number,
  opts: string,
): ClaimedJob {
  try {
    return { sid, id, attempt, data: JSON.parse(data) as unknown, options: parseOptions(opts) };
  } catch (err) {
    const invalid = `stored job is not JSON (written by another producer?): ${(err as Error).message}`;
    return { sid, id, attempt, data: undefined, options: NO_OPTIONS, invalid };
  }
}

function isNoGroup(err: unknown): boolean {
  // Raised inside a script (claim.lua), the error text is prefixed.
  return err instanceof Error && err.message.includes('NOGROUP');
}

/**
 * This worker as a consumer of one queue's stream group (the Redis side of running its jobs):
 * claim new jobs (claimNow, or claimOrWait on an empty queue), take over claims left idle
 * (reclaimIdle), renew the claims of running jobs, promote due delayed jobs, and write
 * outcomes, each state change through its Lua script.
 */
export class StreamConsumer {
  private readonly stream: string;
  /** On a Redis Cluster claim.lua is not used (see readThenStart). */
  private readonly onCluster: boolean;
  private readonly finisher: TurnBatcher<FinishItem, FinishResult>;
  private readonly progressor: TurnBatcher<{ job: ClaimedJob; json: string }, boolean>;
  private readonly logLines: TurnBatcher<{ job: ClaimedJob; text: string }, boolean>;
  /** The newest entry when the last claim found the queue empty; undefined: it did not. */
  private emptyAfter: string | undefined;
  /** Where the last XAUTOCLAIM stopped: the next one goes on from there. */
  private reclaimCursor = '0-0';
  /** When promote() next prunes the dead set of expired letters (ms since the epoch). */
  private pruneDeadAt = 0;
  /**
   * When promote() next trims the jobs index (ms since the epoch): a second after the start,
   * not at once, so that a worker starting on a backlog spends its first second on its jobs.
   */
  private trimIndexAt = Date.now() + TRIM_INDEX_EVERY_MS;
  /** Where the next trim of the jobs index goes on (a rank; 0: from the oldest). */
  private trimIndexFrom = 0;
  /** CLIENT ID of the blocking connection, to interrupt its read (CLIENT UNBLOCK). */
  private blockingClientId: number | undefined;
  /**
   * The queue is gated (controls `gated`: paused, limited, or jobs with a priority or group
   * waiting): claims go through gate.lua until it answers `open`.
   */
  private gated = false;
  /** When a claim last had claim.lua look at `gated` (ms since the epoch; 0: never). */
  private gatedCheckedAt = 0;
  /** The claim that found the queue empty looked at `gated` too. */
  private emptyChecked = false;
  /** What the last gate.lua call said to wait for; undefined: call it again at once. */
  private gateWait: GateWait | undefined;

  constructor(
    private readonly redis: Redis,
    /** A dedicated connection: XREADGROUP BLOCK holds it. */
    private readonly blocking: Redis,
    private readonly keys: Keys,
    readonly queue: string,
    readonly consumer: string,
    private readonly limits: ConsumerLimits,
  ) {
    this.stream = keys.stream(queue);
    this.onCluster = isCluster(redis);
    this.finisher = new TurnBatcher((items) => this.flushFinish(items));
    this.progressor = new TurnBatcher((items) => this.flushProgress(items));
    this.logLines = new TurnBatcher((items) => this.flushLog(items));
    blocking.on('close', () => (this.blockingClientId = undefined));
  }

  /** Creates the consumer group (and the stream) if missing; reads from the stream's start. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  /**
   * Claims up to count new entries, waiting up to blockMs for some. While the queue has work,
   * one claim.lua call reads and starts them. On an empty queue, the blocking connection waits
   * for the next entry (XREAD BLOCK after the last one there) with a claim.lua call sent right
   * behind it: Redis runs the claim the moment the wait ends, and a woken worker has its jobs,
   * data included, one round trip after the entry was added, instead of two (read, then start).
   */
  async claimOrWait(count: number, blockMs: number): Promise<ClaimedJob[]> {
    if (this.gated) return this.gateOrWait(count, blockMs);
    if (this.onCluster) return (await this.readThenStart(count, blockMs)).jobs;
    // Found empty by the last claim: wait at once (what came since ends the wait at once).
    while (this.emptyAfter === undefined) {
      if (this.gated) return this.gateOrWait(count, blockMs);
      let claimed: Claimed;
      try {
        claimed = await this.claimOn(this.redis, count);
      } catch (err) {
        if (!isNoGroup(err)) throw err;
        await this.ensureGroup();
        return [];
      }
      if (claimed.jobs.length > 0) return claimed.jobs;
      // Only skipped entries (stale or final jobs): read on without waiting.
    }
    // Empty, by a claim that did not look at `gated`: look before waiting, as the wait would
    // not see a gating signalled before it began (a queue just gated looks empty).
    if (!this.emptyChecked) {
      const claimed = await this.claimOn(this.redis, count, Date.now(), true);
      if (this.gated) return this.gateOrWait(count, blockMs);
      if (claimed.jobs.length > 0 || this.emptyAfter === undefined) return claimed.jobs;
    }
    return this.waitAndClaim(count, blockMs, this.emptyAfter);
  }

  /**
   * Reads up to count new entries and starts them, without waiting (claim.lua): answers the
   * jobs to run, and how many entries were read (skipped ones included: read = count means
   * the queue likely has more).
   */
  async claimNow(count: number): Promise<Claimed> {
    if (this.gated) {
      const jobs = await this.gateOn(this.redis, count);
      return { read: this.gateWait ? 0 : jobs.length, jobs };
    }
    if (this.onCluster) return this.readThenStart(count, 0);
    return this.claimOn(this.redis, count);
  }

  /**
   * On a Redis Cluster: read new entries (XREADGROUP, blocking up to blockMs; 0: not at all),
   * then start them with start.lua, which is handed every job key it touches. claim.lua
   * cannot be: it learns the job ids only by reading, and while a slot migrates, Redis Cluster
   * checks an undeclared key only when the script reaches it, so the script could stop halfway
   * with entries read and jobs not started. One more round trip per batch, on a cluster only.
   */
  private async readThenStart(count: number, blockMs: number): Promise<Claimed> {
    const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
    const conn = blockMs > 0 ? this.blocking : this.redis;
    let reply: [string, StreamEntry[]][] | null;
    try {
      reply = (await conn.xreadgroup(
        'GROUP',
        GROUP,
        this.consumer,
        'COUNT',
        count,
        ...(block as ['BLOCK', number]),
        'STREAMS',
        this.stream,
        '>',
      )) as [string, StreamEntry[]][] | null;
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await this.ensureGroup();
      return { read: 0, jobs: [] };
    }
    const entries = reply?.[0]?.[1] ?? [];
    // A gated queue gets no stream entries for its new jobs: look whether it is gated now.
    if (entries.length === 0) {
      this.gated = (await this.redis.hget(this.keys.controls(this.queue), 'gated')) === '1';
      return { read: 0, jobs: [] };
    }
    return { read: entries.length, jobs: await this.start(entries) };
  }

  /** now: 0 makes the script read Redis' clock (a claim sent ahead of a wait). */
  private async claimOn(
    redis: Redis,
    count: number,
    now = Date.now(),
    mustCheck = false,
  ): Promise<Claimed> {
    const { deadTtlSec, maxRecoveries } = this.limits;
    // A claim sent behind a wait (now 0) always looks: the wait may have ended for a gating.
    const at = Date.now();
    const check = mustCheck || now === 0 || at - this.gatedCheckedAt >= GATED_RECHECK_MS;
    if (check) this.gatedCheckedAt = at;
    const args = [now, GROUP, this.consumer, deadTtlSec, count, maxRecoveries, check ? 1 : 0];
    const keys = [
      ...this.keys.queue(this.queue),
      this.keys.controls(this.queue),
      ...this.keys.finalKeys(this.queue),
    ];
    const reply = (await runScript(redis, 'claim', keys, args)) as [
      number,
      string,
      ...(string | number)[],
    ];
    if (reply[0] === -1) {
      this.gated = true;
      this.emptyAfter = undefined;
      return { read: 0, jobs: [] };
    }
    const jobs: ClaimedJob[] = [];
    for (let i = 2; i + 4 < reply.length; i += 5) {
      const [sid, id, data, attempt, opts] = reply.slice(i, i + 5) as [
        string,
        string,
        string,
        number,
        string,
      ];
      jobs.push(claimedJob(sid, id, data, attempt, opts));
    }
    this.emptyAfter = reply[0] < count ? reply[1] : undefined;
    this.emptyChecked = check;
    return { read: reply[0], jobs };
  }

  /**
   * Waits up to blockMs for an entry after lastId (the newest in the stream when the queue was
   * last found empty: one added since is seen at once), then claims. Both calls go on the
   * blocking connection back to back, so Redis runs the claim as soon as the wait returns.
   */
  private async waitAndClaim(
    count: number,
    blockMs: number,
    lastId: string,
  ): Promise<ClaimedJob[]> {
    this.blockingClientId ??= await this.blocking.client('ID');
    // The signal stream too: a queue that becomes gated gets no stream entries for new jobs.
    const signal = this.keys.signal(this.queue);
    const woken = this.blocking.xread(
      'COUNT',
      1,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.stream,
      signal,
      lastId,
      '$',
    );
    // It runs when the wait ends, maybe blockMs from now: its time is Redis' then, not ours now.
    const claimed = this.claimOn(this.blocking, count, 0);
    const [wait, claim] = await Promise.allSettled([woken, claimed]);
    if (claim.status === 'fulfilled') return claim.value.jobs;
    // The stream was deleted (FLUSHALL, a restored backup): recreate and try next round.
    if (isNoGroup(claim.reason)) {
      await this.ensureGroup();
      return [];
    }
    throw wait.status === 'rejected' ? wait.reason : claim.reason;
  }

  /**
   * The claim of a gated queue: gate.lua admits what the controls allow and starts it. When
   * nothing may start, the blocking connection waits on the signal stream (resume, a limit
   * changed, a slot freed, jobs queued) and the stream (entries to move to the waiting set)
   * for at most what the gate said (the rate window, the hold; a bounded wait otherwise),
   * with the next gate call sent right behind it: never a tight poll.
   */
  private async gateOrWait(count: number, blockMs: number): Promise<ClaimedJob[]> {
    const wait = this.gateWait;
    if (wait === undefined) return this.gateOn(this.redis, count);
    this.blockingClientId ??= await this.blocking.client('ID');
    const ms = Math.max(10, Math.min(blockMs, wait.waitMs));
    const woken = this.blocking.xread(
      'COUNT',
      1,
      'BLOCK',
      ms,
      'STREAMS',
      this.keys.signal(this.queue),
      this.stream,
      wait.signalId,
      wait.streamId,
    );
    const claimed = this.gateOn(this.blocking, count);
    const [waited, claim] = await Promise.allSettled([woken, claimed]);
    if (claim.status === 'fulfilled') return claim.value;
    if (isNoGroup(claim.reason)) {
      await this.ensureGroup();
      return [];
    }
    throw waited.status === 'rejected' ? waited.reason : claim.reason;
  }

  private async gateOn(redis: Redis, count: number): Promise<ClaimedJob[]> {
    const q = this.queue;
    const keys = [
      ...this.keys.queue(q),
      this.keys.controls(q),
      this.keys.waiting(q),
      this.keys.active(q),
      this.keys.starts(q),
      this.keys.parked(q),
      this.keys.signal(q),
      ...this.keys.finalKeys(q),
    ];
    const { deadTtlSec, maxRecoveries, partitions = 1 } = this.limits;
    const args = [GROUP, this.consumer, deadTtlSec, count, maxRecoveries, partitions];
    const reply = (await runScript(redis, 'gate', keys, args)) as [
      string,
      number,
      string,
      string,
      ...(string | number)[],
    ];
    const [state, waitMs, signalId, streamId] = reply;
    this.gated = state !== 'open';
    this.gateWait = state === 'wait' ? { waitMs, signalId, streamId } : undefined;
    const jobs: ClaimedJob[] = [];
    for (let i = 4; i + 4 < reply.length; i += 5) {
      const [sid, id, data, attempt, opts] = reply.slice(i, i + 5) as [
        string,
        string,
        string,
        number,
        string,
      ];
      jobs.push(claimedJob(sid, id, data, attempt, opts));
    }
    return jobs;
  }

  /**
   * A handler's RetryAfterError: the job goes back to wait without using an attempt, and its
   * type (every partition) or its group is held back until untilMs (hold.lua). Answers
   * `held`, or `refused` when this worker no longer holds the job.
   */
  async hold(job: ClaimedJob, untilMs: number, scope: HoldScope): Promise<FinishResult> {
    const group = scope === 'group' ? await this.redis.hget(this.keys.job(job.id), 'group') : null;
    // A job without a group holds its type.
    const by: HoldScope = group === null ? 'type' : 'group';
    const holdOn = (queue: string, withJob: boolean): Promise<unknown> => {
      const controls = this.keys.controls(queue);
      const keys = [
        ...this.keys.queue(queue),
        controls,
        this.keys.waiting(queue),
        group === null ? controls : this.keys.groupHold(queue, group),
      ];
      const args: (string | number)[] = [Date.now(), GROUP, this.consumer, by, untilMs];
      if (withJob) {
        keys.push(this.keys.job(job.id));
        args.push(job.sid, job.id, job.attempt);
      }
      return runScript(this.redis, 'hold', keys, args);
    };
    const held = await holdOn(this.queue, true);
    if (held !== 1) return 'refused';
    this.gated = true;
    const others = queuesOfType(typeOfQueue(this.queue), this.limits.partitions ?? 1);
    await Promise.all(others.filter((q) => q !== this.queue).map((q) => holdOn(q, false)));
    return 'held';
  }

  /** Ends a claimOrWait() that is blocked waiting, as if its time had run out; no entry is lost. */
  async interrupt(): Promise<void> {
    if (this.blockingClientId !== undefined) {
      await this.redis.client('UNBLOCK', this.blockingClientId);
    }
  }

  /** Takes over up to count entries whose holder has not renewed them for minIdleMs. */
  async reclaimIdle(count: number, minIdleMs: number): Promise<ClaimedJob[]> {
    const reply = (await this.redis.xautoclaim(
      this.stream,
      GROUP,
      this.consumer,
      minIdleMs,
      this.reclaimCursor,
      'COUNT',
      count,
    )) as [string, StreamEntry[], string[]];
    // Resume the scan where it stopped, so idle entries behind long-running healthy ones are
    // reached in later rounds (each call examines only about 10 x COUNT entries).
    this.reclaimCursor = reply[0];
    return this.start(reply[1]);
  }

  /**
   * Whether this worker trims the jobs index this second: one worker a second takes the turn
   * (trim-turn.lua). Every worker trimming every second did the same work N times (3 workers
   * re-checked an index of a few hundred kept jobs 800 times a second).
   */
  private async takeTrimTurn(): Promise<boolean> {
    this.trimIndexAt = Date.now() + TRIM_INDEX_EVERY_MS;
    const keys = [this.keys.stats(this.queue), this.keys.created(this.queue)];
    return (await runScript(this.redis, 'trim-turn', keys, [TRIM_INDEX_EVERY_MS])) === 1;
  }

  /**
   * Moves due delayed jobs to the stream; answers when the next one is due (ms, or -1). Once
   * a minute it also prunes the dead set of expired letters, and once a second it trims the
   * jobs index, so both stay bounded even when nobody reads them.
   */
  async promote(limit = 500): Promise<number> {
    const now = Date.now();
    if (now >= this.pruneDeadAt) {
      this.pruneDeadAt = now + PRUNE_DEAD_EVERY_MS;
      await pruneDead(this.redis, this.keys, this.queue);
    }
    if (now >= this.trimIndexAt && (await this.takeTrimTurn())) {
      // The jobs index of GET /api/jobs, of records gone since: its oldest end while mostly
      // gone, then one slice going on from where this worker's last trim stopped. A little
      // every second, not 20,000 entries once a minute: a worker that starts on a backlog of
      // 20,000 jobs used to check every one of them at once (its drain ran a fifth slower).
      const trim = await trimJobsIndex(
        this.redis,
        this.keys,
        this.queue,
        this.trimIndexFrom,
        TRIM_INDEX_BUDGET,
      );
      this.trimIndexFrom = trim.next;
    }
    const due = await this.redis.zrangebyscore(
      this.keys.delayed(this.queue),
      '-inf',
      now,
      'LIMIT',
      0,
      limit,
    );
    const keys = [...this.keys.queue(this.queue), ...due.map((id) => this.keys.job(id))];
    const [, nextDue] = (await runScript(this.redis, 'promote', keys, [now, ...due])) as [
      number,
      number,
    ];
    return nextDue;
  }

  /**
   * Renews the claims of running jobs; answers, per job, whether it is still held (a job
   * Redis refused to renew for its input counts as lost).
   */
  async renew(jobs: readonly ClaimedJob[]): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    const keys = [...this.keys.queue(this.queue), ...jobs.map((j) => this.keys.job(j.id))];
    const args: (string | number)[] = [GROUP, this.consumer];
    for (const j of jobs) args.push(j.sid, j.attempt);
    const reply = (await runScript(this.redis, 'renew', keys, args)) as unknown[];
    return reply.map((r) => r === 1);
  }

  /** Writes a job's outcome (batched per turn). */
  finish(job: ClaimedJob, outcome: Outcome): Promise<FinishResult> {
    // Progress and log lines reported before the outcome must reach Redis first (a final job
    // refuses them): all go on one connection, so sending what waits now keeps the order.
    this.progressor.flushPending();
    this.logLines.flushPending();
    if (outcome.kind === 'hold') return this.hold(job, outcome.untilMs, outcome.scope);
    return this.finisher.add({ job, outcome });
  }

  /** Records a running job's progress (batched per turn); false when no longer held. */
  progress(job: ClaimedJob, json: string): Promise<boolean> {
    return this.progressor.add({ job, json });
  }

  /** Appends a line to a running job's log (batched per turn); false when no longer held. */
  log(job: ClaimedJob, text: string): Promise<boolean> {
    return this.logLines.add({ job, text });
  }

  /** Hands jobs this worker holds back to the queue at once, the attempt not counted. */
  release(jobs: readonly ClaimedJob[]): Promise<number> {
    return requeueEntries(this.redis, this.keys, this.queue, this.consumer, jobs, true);
  }

  /**
   * Leaves the queue's consumer group, if this worker holds no entry of it any more (a clean
   * stop): answers whether it left. One holding entries stays, so they can be taken over.
   */
  leave(): Promise<boolean> {
    return dropConsumer(this.redis, this.keys, this.queue, this.consumer);
  }

  /** Waits for every outcome handed to finish() to be written. */
  drain(): Promise<void> {
    return this.finisher.drain();
  }

  private async start(entries: readonly StreamEntry[]): Promise<ClaimedJob[]> {
    // XAUTOCLAIM answers null fields for entries deleted meanwhile.
    const live = entries.filter((e): e is [string, string[]] => e[1]?.[0] === 'id' && !!e[1][1]);
    if (live.length === 0) return [];
    const ids = live.map((e) => e[1][1]!);
    const keys = [
      ...this.keys.queue(this.queue),
      ...ids.map((id) => this.keys.job(id)),
      this.keys.controls(this.queue),
      this.keys.waiting(this.queue),
      ...this.keys.finalKeys(this.queue),
    ];
    const { deadTtlSec, maxRecoveries } = this.limits;
    const args: (string | number)[] = [Date.now(), GROUP, this.consumer, deadTtlSec, maxRecoveries];
    live.forEach((e, i) => args.push(e[0], ids[i]!));
    const reply = (await runScript(this.redis, 'start', keys, args)) as (
      [string, number, string] | 0 | -1
    )[];
    const claimed: ClaimedJob[] = [];
    reply.forEach((r, i) => {
      // -1: the queue is gated, the job went to its waiting set (start.lua).
      if (r === -1) this.gated = true;
      else if (r !== 0) claimed.push(claimedJob(live[i]![0], ids[i]!, r[0], r[1], r[2]));
    });
    return claimed;
  }

  private async flushLog(items: readonly { job: ClaimedJob; text: string }[]): Promise<boolean[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [Date.now(), this.consumer];
    for (const { job, text } of items) {
      keys.push(this.keys.job(job.id));
      args.push(job.attempt, text);
    }
    const reply = (await runScript(this.redis, 'log', keys, args)) as unknown[];
    return reply.map((r) => r === 1);
  }

  private async flushProgress(
    items: readonly { job: ClaimedJob; json: string }[],
  ): Promise<(boolean | Error)[]> {
    const keys: string[] = this.keys.queue(this.queue);
    const args: (string | number)[] = [Date.now(), this.consumer];
    for (const { job, json } of items) {
      keys.push(this.keys.job(job.id));
      args.push(job.id, job.attempt, json);
    }
    const reply = (await runScript(this.redis, 'progress', keys, args)) as unknown[];
    return reply.map((r) => itemAnswer(r, (n) => n === 1));
  }

  private async flushFinish(items: readonly FinishItem[]): Promise<(FinishResult | Error)[]> {
    const keys: string[] = this.keys.queue(this.queue);
    const args: (string | number)[] = [Date.now(), GROUP, this.consumer, this.limits.deadTtlSec];
    for (const { job, outcome } of items) {
      keys.push(this.keys.job(job.id));
      const payload = outcome.kind === 'done' ? outcome.json : outcome.error; // never `hold`
      const retryAt = outcome.kind === 'error' ? outcome.retryAt : 0;
      args.push(job.sid, job.id, job.attempt, outcome.kind, payload, retryAt);
    }
    keys.push(...this.keys.finalKeys(this.queue));
    const reply = (await runScript(this.redis, 'finish', keys, args)) as unknown[];
    return reply.map((r) => itemAnswer(r, (n) => FINISH_RESULTS[n] ?? 'refused'));
  }
}
