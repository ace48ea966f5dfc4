import type { Logger } from 'pino';
import type { ChildOutcome, JobContext } from '../jobs/index.js';
import type { ClaimedJob } from '../queue/index.js';

export class JobAbort extends Error {
  constructor(
    message: string,
    readonly why: 'timeout' | 'cancelled' | 'lost' | 'shutdown',
  ) {
    super(message);
    this.name = 'JobAbort';
  }
}

/** The longest line ctx.addLog() keeps, in UTF-16 units; a longer one is cut, with "…". */
export const MAX_LOG_LINE = 1000;

/** How a handler ended: its value, or what it threw (or why it was aborted). */
export type Settled =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

/**
 * One run of a job: the context its handler gets, and the one promise that settles when the
 * handler returns, throws or is aborted, whichever comes first; an aborted run frees its slot
 * at once, even if the handler ignores the signal. The AbortController is made only when the
 * handler reads `signal` (or the run is aborted first): most handlers never do, and making one
 * per job was the largest item of a worker's profile after the garbage collector.
 */
export class JobRun implements JobContext {
  readonly id: string;
  readonly attempt: number;
  readonly deadline: number | undefined;
  readonly settled: Promise<Settled>;
  /** Set once aborted: why. */
  reason: JobAbort | undefined;
  private settle!: (s: Settled) => void;
  private controller: AbortController | undefined;
  private jobLog: Logger | undefined;

  constructor(
    readonly job: ClaimedJob,
    private readonly parentLog: Logger,
    private readonly report: (json: string) => Promise<void>,
    /** Reads a parent's children's outcomes (src/flow/); absent: the job has none. */
    private readonly readChildren?: (id: string) => Promise<ChildOutcome[]>,
    /** Appends a line to a job's log in Redis; absent: lines are dropped. */
    private readonly writeLog?: (job: ClaimedJob, text: string) => Promise<void>,
  ) {
    this.id = job.id;
    this.attempt = job.attempt;
    const timeoutMs = job.options.timeoutMs;
    this.deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    this.settled = new Promise<Settled>((resolve) => (this.settle = resolve));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get log(): Logger {
    return (this.jobLog ??= this.parentLog.child({ jobId: this.id }));
  }

  async progress(value: unknown): Promise<void> {
    const json = JSON.stringify(value) ?? 'null';
    if (json.length > 4096) throw new RangeError('progress value over 4 KiB when serialized');
    await this.report(json);
  }

  async addLog(text: string): Promise<void> {
    const line = String(text);
    await this.writeLog?.(
      this.job,
      line.length > MAX_LOG_LINE ? `${line.slice(0, MAX_LOG_LINE - 1)}…` : line,
    );
  }

  children(): Promise<ChildOutcome[]> {
    if (!this.job.options.children || !this.readChildren) return Promise.resolve([]);
    return this.readChildren(this.id);
  }

  async previous(): Promise<unknown> {
    return (await this.children())[0]?.value;
  }

  /** Calls the handler; its outcome (or an earlier abort) settles `settled`. */
  start(handler: (data: unknown, ctx: JobContext) => unknown): void {
    try {
      const result = handler(this.job.data, this);
      if (isThenable(result)) {
        result.then(
          (value) => this.settle({ ok: true, value }),
          (err: unknown) => this.settle({ ok: false, err }),
        );
      } else this.settle({ ok: true, value: result });
    } catch (err) {
      this.settle({ ok: false, err });
    }
  }

  /** Fires the handler's signal and settles the run as failed with reason; once. */
  abort(reason: JobAbort): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.settle({ ok: false, err: reason });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
