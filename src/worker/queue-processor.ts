import { setImmediate as setImmediatePromise, setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  isUnrecoverable,
  retryAfterOf,
  UnrecoverableError,
  type AnyJobDefinition,
  type ChildOutcome,
} from '../jobs/index.js';
import {
  retryDelayMs,
  type Backoff,
  type ClaimedJob,
  type FinishResult,
  type Outcome,
  type StreamConsumer,
} from '../queue/index.js';
import { redisOutage } from '../redis/index.js';
import { endAttemptSpan, startAttemptSpan } from '../tracing/index.js';
import { JobAbort, JobRun, type Settled } from './job-run.js';

export interface ProcessorSettings {
  readonly concurrency: number;
  readonly claimTimeoutMs: number;
  readonly blockMs: number;
  /** Backoff of jobs stored without one. */
  readonly defaultBackoff: Backoff;
  /** Told each outcome once written (benchmarks and embedders measure with it). */
  readonly onFinished?: (id: string, result: FinishResult) => void;
  /**
   * Flows (src/flow/): told each final outcome of a job that has a parent, once written, to
   * hand it to the parent; and reads a parent's children's outcomes (ctx.children()).
   */
  readonly flow?: {
    readonly childFinal: (id: string) => void;
    readonly readChildren: (id: string) => Promise<ChildOutcome[]>;
  };
  /** Told each start and each written outcome (the wait histogram, the metrics history). */
  readonly observer?: JobObserver;
}

/** Sees the jobs of a queue start and end, in memory: it must not call Redis per job. */
export interface JobObserver {
  /** A claimed job starts, waitMs after its entry was added to the stream. */
  started(waitMs: number): void;
  /** An attempt's outcome was written, runMs after its handler started. */
  finished(result: FinishResult, runMs: number): void;
}

/** When a stream entry was added (ms since the epoch, Redis clock): the first part of its id. */
function entryTimeMs(sid: string): number {
  return Number(sid.slice(0, sid.indexOf('-')));
}

export interface ProcessorCounts {
  inFlight: number;
  processed: number;
  failed: number;
  retried: number;
  refused: number;
}

interface Running {
  readonly run: JobRun;
  done: Promise<void>;
  /** The handler has returned or thrown: its outcome is being written, do not release it. */
  settled: boolean;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}

/**
 * Processes one queue (a type, or one partition of it) on one worker process, through its
 * StreamConsumer: claims work up to its concurrency, runs each job's handler (aborting it past
 * its timeout), renews the claims of running jobs, takes over claims left idle by dead
 * workers, promotes due delayed jobs, and writes outcomes. Every loop logs and survives its
 * errors (a Redis outage included).
 */
export class QueueProcessor {
  readonly counts: ProcessorCounts = {
    inFlight: 0,
    processed: 0,
    failed: 0,
    retried: 0,
    refused: 0,
  };
  /** Jobs held: running, or settled with their outcome being written. */
  private readonly running = new Map<string, Running>();
  /** Handlers running now: what `concurrency` limits. */
  private active = 0;
  private stopping = false;
  private slotFreed: (() => void) | undefined;
  /** Slots asked for by claims in flight. */
  private claiming = 0;
  private timers: NodeJS.Timeout[] = [];
  private promoteTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  /** A takeover of idle claims in flight (stop() waits for it). */
  private reclaiming: Promise<void> | undefined;
  /** ctx.addLog's writer, one for every run (not a closure made per job). */
  private readonly writeLog = (job: ClaimedJob, text: string): Promise<void> =>
    this.consumer.log(job, text).then(() => undefined);

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly definition: AnyJobDefinition,
    private readonly settings: ProcessorSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { claimTimeoutMs } = this.settings;
    this.timers.push(
      setInterval(() => void this.renew(), Math.max(50, Math.floor(claimTimeoutMs / 3))),
      setInterval(() => void this.reclaim(), Math.max(50, Math.floor(claimTimeoutMs / 2))),
    );
    this.schedulePromote(0);
    this.loop = this.claimLoop();
  }

  get concurrency(): number {
    return this.settings.concurrency;
  }

  /** Claims again after stop() (a drain) has finished. */
  resume(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.timers = [];
    this.start();
  }

  /** Aborts a running job of this queue (it was cancelled); false if it does not run here. */
  cancel(id: string): boolean {
    const running = this.running.get(id);
    running?.run.abort(new JobAbort('cancelled', 'cancelled'));
    return running !== undefined;
  }

  /**
   * Stops claiming, lets running jobs finish within graceMs, then aborts the rest and hands
   * them back to the queue at once, so another worker starts them without waiting for a
   * claim timeout.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.promoteTimer);
    this.slotFreed?.();
    await this.consumer.interrupt().catch(() => undefined);
    await this.loop;
    await this.reclaiming; // its jobs go back to the queue, not run
    const allDone = Promise.all([...this.running.values()].map((r) => r.done));
    const grace = sleep(graceMs, 'timeout' as const, { ref: false });
    if ((await Promise.race([allDone, grace])) === 'timeout') {
      const unfinished = [...this.running.values()].filter((r) => !r.settled);
      for (const r of unfinished) r.run.abort(new JobAbort('worker shutting down', 'shutdown'));
      try {
        const released = await this.consumer.release(unfinished.map((r) => r.run.job));
        this.log.warn(
          { released, jobs: unfinished.map((r) => r.run.id) },
          'shutdown grace over; handed unfinished jobs back to the queue',
        );
      } catch (err) {
        this.log.warn(
          { err: errorMessage(err) },
          'could not hand jobs back; they will be taken over after the claim timeout',
        );
      }
    }
    // Jobs whose handler already settled are writing their outcome: let them.
    await Promise.all([...this.running.values()].filter((r) => r.settled).map((r) => r.done));
    for (const t of this.timers) clearInterval(t);
    await this.consumer.drain();
    // A clean stop leaves no consumer behind (one per restart would pile up in the group).
    await this.consumer.leave().then(
      (left) => left || this.log.warn('still holds entries: stays in the group to be taken over'),
      (err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not leave the group'),
    );
  }

  /**
   * Slots to claim for: a handler that settled frees its slot at once, so the next claim
   * overlaps the writing of its outcome (batched per turn); held jobs stay under twice the
   * concurrency, so a slow Redis cannot make a worker hoard entries. Slots asked for by claims
   * in flight are taken already.
   */
  private freeSlots(): number {
    const { concurrency } = this.settings;
    const free = Math.min(concurrency - this.active, 2 * concurrency - this.running.size);
    return free - this.claiming;
  }

  private wakeClaimLoop(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  /**
   * Claims work while not stopping. While the queue has a backlog (the last claim was filled),
   * up to two claims of half the concurrency are in flight at once: Redis starts the next
   * batch while this process runs the last one, instead of each waiting on the other. On a
   * queue without backlog, one read at a time, blocking when the queue is empty.
   */
  private async claimLoop(): Promise<void> {
    let failures = 0;
    let backlog = false;
    const chunk = Math.max(1, Math.ceil(this.settings.concurrency / 2));
    const inFlight = new Set<Promise<void>>();
    while (!this.stopping) {
      const free = this.freeSlots();
      if (free <= 0 || inFlight.size >= 2 || (inFlight.size > 0 && !backlog)) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      if (backlog) {
        const count = Math.min(free, chunk);
        this.claiming += count;
        const claim: Promise<void> = this.consumer
          .claimNow(count)
          .then(
            ({ read, jobs }) => {
              for (const job of jobs) this.execute(job);
              backlog = read >= count;
            },
            (err: unknown) => {
              // The sequential read below retries, and reports a lasting failure.
              backlog = false;
              this.log.debug({ err: errorMessage(err) }, 'pipelined claim failed');
            },
          )
          .finally(() => {
            this.claiming -= count;
            inFlight.delete(claim);
            this.wakeClaimLoop();
          });
        inFlight.add(claim);
        continue;
      }
      try {
        if (failures > 0) await this.consumer.ensureGroup();
        const jobs = await this.consumer.claimOrWait(free, this.settings.blockMs);
        for (const job of jobs) this.execute(job);
        backlog = jobs.length >= free;
        failures = 0;
        redisOutage.succeeded(this.log);
        // Let the outcomes of these jobs go to Redis before the next read: on a quiet queue
        // that read waits, and a job's latency ends with its outcome written.
        if (!backlog && jobs.length > 0) await setImmediatePromise();
      } catch (err) {
        failures += 1;
        if (!redisOutage.failed(this.log, 'claim', err) && (failures & (failures - 1)) === 0) {
          this.log.warn({ err: errorMessage(err), failures }, 'claim failed; retrying');
        }
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
      }
    }
    // Jobs of claims still in flight are run (and awaited by stop()), not left claimed.
    await Promise.all(inFlight);
  }

  /** Moves due delayed jobs to the stream, then sleeps until the next is due (at most 1 s). */
  private schedulePromote(delayMs: number): void {
    if (this.stopping) return;
    this.promoteTimer = setTimeout(() => {
      this.consumer.promote().then(
        (nextDue) => {
          redisOutage.succeeded(this.log);
          this.schedulePromote(
            nextDue < 0 ? 1000 : Math.min(1000, Math.max(10, nextDue - Date.now())),
          );
        },
        (err: unknown) => {
          if (!redisOutage.failed(this.log, 'promote', err))
            this.log.warn({ err: errorMessage(err) }, 'promote failed');
          this.schedulePromote(1000);
        },
      );
    }, delayMs);
  }

  /** Takes over jobs whose holder stopped renewing (a crashed or hung worker). */
  private async reclaim(): Promise<void> {
    const free = this.freeSlots();
    if (this.stopping || free <= 0 || this.reclaiming) return;
    this.reclaiming = this.reclaimIdle(free).finally(() => (this.reclaiming = undefined));
    await this.reclaiming;
  }

  private async reclaimIdle(free: number): Promise<void> {
    try {
      const jobs = await this.consumer.reclaimIdle(free, this.settings.claimTimeoutMs);
      if (this.stopping) {
        // stop() began meanwhile: these would run on connections about to close. Hand them
        // back at once, unstarted (stop() waits for this).
        if (jobs.length > 0) await this.consumer.release(jobs);
        return;
      }
      if (jobs.length > 0) this.log.info({ jobs: jobs.map((j) => j.id) }, 'took over idle jobs');
      // A taken-over job waited in another worker's hands: not a queue wait.
      for (const job of jobs) this.execute(job, false);
    } catch (err) {
      if (!redisOutage.failed(this.log, 'reclaim', err))
        this.log.warn({ err: errorMessage(err) }, 'reclaim failed');
    }
  }

  /** Keeps the claims of running jobs; aborts the jobs whose claim was lost or cancelled. */
  private async renew(): Promise<void> {
    const running = [...this.running.values()];
    if (running.length === 0) return;
    try {
      const held = await this.consumer.renew(running.map((r) => r.run.job));
      held.forEach((ok, i) => {
        const lost = running[i];
        if (ok || !lost) return;
        this.log.warn({ jobId: lost.run.id }, 'claim lost (taken over or cancelled); aborting job');
        lost.run.abort(new JobAbort('claim lost: the job was taken over or cancelled', 'lost'));
      });
    } catch (err) {
      if (!redisOutage.failed(this.log, 'renew', err))
        this.log.warn({ err: errorMessage(err) }, 'renew failed');
    }
  }

  private execute(job: ClaimedJob, fromQueue = true): void {
    if (fromQueue && this.settings.observer)
      this.settings.observer.started(Math.max(0, Date.now() - entryTimeMs(job.sid)));
    const run = new JobRun(
      job,
      this.log,
      (json) => this.consumer.progress(job, json).then(() => undefined),
      this.settings.flow?.readChildren,
      this.writeLog,
    );
    const entry: Running = { run, done: Promise.resolve(), settled: false };
    this.running.set(job.id, entry);
    this.active += 1;
    this.counts.inFlight = this.running.size;
    entry.done = this.runJob(entry);
  }

  private async runJob(entry: Running): Promise<void> {
    const { run } = entry;
    const { job } = run;
    const timeoutMs = job.options.timeoutMs;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => run.abort(new JobAbort(`timed out after ${timeoutMs} ms`, 'timeout')),
            timeoutMs,
          );
    const startedAt = performance.now();
    const handler = job.invalid === undefined ? this.definition.handler : failInvalid(job.invalid);
    const { span } = startAttemptSpan(
      {
        id: job.id,
        type: this.definition.name,
        attempt: job.attempt,
        queue: this.consumer.queue,
        trace: job.options,
      },
      () => run.start(handler),
    );
    const settled = await run.settled;
    const runMs = performance.now() - startedAt;
    clearTimeout(timer);
    endAttemptSpan(span, settled.ok ? undefined : { message: errorMessage(settled.err) });
    entry.settled = true;
    this.active -= 1;
    this.wakeClaimLoop();
    try {
      if (run.reason?.why === 'shutdown') return; // released by stop()
      await this.writeOutcome(job, this.outcome(job, settled), runMs);
    } finally {
      // The same job may have been claimed again meanwhile (a stall past the claim timeout):
      // remove only this run's entry.
      if (this.running.get(job.id) === entry) this.running.delete(job.id);
      this.counts.inFlight = this.running.size;
      this.wakeClaimLoop();
    }
  }

  /** A value that cannot be serialized (a cycle, a BigInt) fails the attempt like a throw. */
  private outcome(job: ClaimedJob, settled: Settled): Outcome {
    if (!settled.ok) return this.failure(job, settled.err);
    try {
      return { kind: 'done', json: JSON.stringify(settled.value) ?? 'null' };
    } catch (err) {
      return this.failure(job, err);
    }
  }

  private failure(job: ClaimedJob, err: unknown): Outcome {
    const error = errorMessage(err);
    if (isUnrecoverable(err)) return { kind: 'fatal', error };
    const hold = retryAfterOf(err);
    if (hold)
      return { kind: 'hold', error, untilMs: Date.now() + hold.retryAfterMs, scope: hold.scope };
    const backoff = job.options.backoff ?? this.definition.backoff ?? this.settings.defaultBackoff;
    return { kind: 'error', error, retryAt: Date.now() + retryDelayMs(backoff, job.attempt) };
  }

  /**
   * Writes a job's outcome, retrying: a few times for an error, and through a Redis outage or
   * failover for as long as the claim holds (past the claim timeout another worker takes the
   * job over, and this outcome would be refused anyway).
   */
  private async writeOutcome(job: ClaimedJob, outcome: Outcome, runMs: number): Promise<void> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.consumer.finish(job, outcome);
        redisOutage.succeeded(this.log);
        this.settings.onFinished?.(job.id, result);
        this.settings.observer?.finished(result, runMs);
        // A child of a flow that is final now: its parent counts it (one field check).
        if (job.options.parent !== undefined && result !== 'retry' && result !== 'refused')
          this.settings.flow?.childFinal(job.id);
        if (result === 'done') this.counts.processed += 1;
        else if (result === 'failed') this.counts.failed += 1;
        else if (result === 'retry') this.counts.retried += 1;
        else if (result === 'refused') {
          this.counts.refused += 1;
          this.log.warn(
            { jobId: job.id },
            'result refused: the job was taken over by another worker',
          );
        }
        if (outcome.kind === 'hold' && result === 'held') {
          this.log.info(
            { jobId: job.id, until: outcome.untilMs, scope: outcome.scope },
            'handler asked to hold back; the job waits again',
          );
        } else if (outcome.kind !== 'done' && result !== 'refused') {
          this.log.info(
            { jobId: job.id, attempt: job.attempt, err: outcome.error, result },
            'job attempt failed',
          );
        }
        return;
      } catch (err) {
        const outage = redisOutage.failed(this.log, 'finish', err);
        const holding = performance.now() - started < this.settings.claimTimeoutMs;
        if (outage ? !holding : attempt >= 5) {
          this.log.error(
            { jobId: job.id, err: errorMessage(err) },
            'could not write result; the job will be taken over',
          );
          return;
        }
        await sleep(Math.min(200 * attempt, 2000));
      }
    }
  }
}

/** The stand-in handler of a job that cannot run as stored: it fails the job for good. */
function failInvalid(why: string): () => never {
  return () => {
    throw new UnrecoverableError(why);
  };
}
