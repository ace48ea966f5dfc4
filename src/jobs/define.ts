import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Backoff, DedupeRule, QueueLimits } from '../queue/index.js';

/** What a handler gets besides its data. */
export interface JobContext {
  /** The callback id. */
  readonly id: string;
  /** 1 on the first run, 2 on the first retry or takeover, ... */
  readonly attempt: number;
  /** Epoch milliseconds when the run is aborted for its timeout; undefined when it has none. */
  readonly deadline?: number | undefined;
  /** Fires when the worker shuts down past its grace period or loses its claim. */
  readonly signal: AbortSignal;
  /** Logger bound to the node and this job's id. */
  readonly log: Logger;
  /**
   * Reports progress (any JSON, at most 4 KiB serialized): shown in the job's status and sent
   * to its event stream. Calls in one event-loop turn are written together.
   */
  progress(value: unknown): Promise<void>;
  /**
   * Appends a line to the job's own log, kept with its record (the last 100 lines, of every
   * attempt; a line over 1,000 characters is cut) and shown by GET /api/status (`log`) and the
   * console's job page. Calls in one event-loop turn are written together. Unlike `log` (the
   * process's logger), these lines stay with the job until its TTL.
   */
  addLog(text: string): Promise<void>;
  /**
   * The outcomes of this job's children in a flow, in the order they were defined
   * (docs/workflows.md): `[]` for a job without children. A child that failed under policy
   * `ignore` is left out; under `continue`, listed with its error.
   */
  children(): Promise<ChildOutcome[]>;
  /**
   * In a chain: the value of the step before (the value of the first child); undefined for
   * the first step.
   */
  previous(): Promise<unknown>;
}

/** A child's final outcome, as its parent reads it (ctx.children()). */
export interface ChildOutcome {
  readonly id: string;
  readonly status: 'done' | 'failed' | 'cancelled';
  /** Its value, when done. */
  readonly value?: unknown;
  /** Why it failed or was cancelled. */
  readonly error?: string;
}

/**
 * A job type: a name, a JSON Schema for its input (TypeBox gives you the static type), a
 * handler, and defaults. Put definitions in your own module and load it with `--jobs`.
 */
export interface JobDefinition<
  S extends TSchema = TSchema,
  R = unknown,
  N extends string = string,
> {
  /** Lower case letters, digits, `_` and `-`; starts with a letter; at most 48 characters. */
  readonly name: N;
  readonly description: string;
  /** JSON Schema of the job's `data`; the API rejects data that does not match it. */
  readonly input: S;
  /** A valid input, shown by GET /api/types and used by the docs. */
  readonly example?: Static<S>;
  /** Returns the job's value (any JSON). A thrown error fails the job. */
  readonly handler: (data: Static<S>, ctx: JobContext) => Promise<R> | R;
  /** Jobs of this type a worker runs at once (default WORKMESH_CONCURRENCY), per partition. */
  readonly concurrency?: number;
  /**
   * Splits the type's queue into this many (at most 64), each its own hash tag: on a Redis
   * Cluster a hot type is spread over several masters. Workers read every partition; the API
   * puts each job on a random one (the same one for the same idempotency key). Default 1.
   */
  readonly partitions?: number;
  /**
   * Cluster-wide limits of the type (docs/queues.md): `rate` {max, perMs} and `concurrency`,
   * and the same per group (`groupRate`, `groupConcurrency`). Every worker and API writes them
   * to Redis when it starts: the definition wins at deploy, a change through the API holds
   * until the next start. Checked when the definition loads.
   */
  readonly limits?: QueueLimits;
  /** How long the result is kept (default WORKMESH_RESULT_TTL_SEC). */
  readonly resultTtlSec?: number;
  /** Attempts before the job fails for good (default WORKMESH_MAX_ATTEMPTS). */
  readonly maxAttempts?: number;
  /** Retry delays (default: exponential from WORKMESH_BACKOFF_MS). */
  readonly backoff?: Backoff;
  /** A run longer than this is aborted and counts as a failed attempt (default: none). */
  readonly timeoutMs?: number;
  /**
   * `'thread'`: the handler runs in a pool of worker threads (as many as the type's
   * concurrency), so a CPU-bound handler cannot block its worker's heartbeats and claim
   * renewals. Each thread imports the job module again (the definition must come from a
   * `--jobs` module) and runs the type's setup and teardown; data and value cross by
   * structured clone. A timeout, a cancel, a lost claim or a shutdown fires the handler's
   * signal and terminates its thread a second later (a new one takes its place). ctx.progress,
   * children, previous and log work as in the worker (docs/library.md, "Sandboxed handlers").
   * `'process'`: the same with child processes (heavier; a crash or `process.exit` of the
   * handler cannot take the worker down).
   */
  readonly sandbox?: 'thread' | 'process';
  /** Default priority of its jobs: -10..10, higher runs first; 0 (default): plain FIFO. */
  readonly priority?: number;
  /**
   * A deduplication window for every job of the type that brings no `dedupe` of its own: the
   * key is built from these top-level data fields (e.g. `{ fields: ['userId'], ttlSec: 60,
   * mode: 'throttle' }`); see docs/api.md.
   */
  readonly dedupe?: DedupeRule;
  /**
   * Called by a worker that takes this type before it claims any of its jobs (start a pool,
   * open a connection); `concurrency` is how many jobs it will run at once. Never on the API.
   */
  readonly setup?: (ctx: SetupContext) => Promise<void>;
  /** Called when that worker stops, after its jobs have finished or been handed back. */
  readonly teardown?: () => Promise<void>;
  /**
   * Schedules firing jobs of this type (docs/schedules.md), upserted by id when the API or a
   * worker starts: the same fields as POST /api/schedules, without `type`.
   */
  readonly schedules?: readonly JobSchedule[];
}

/** A schedule in a job definition (docs/schedules.md has every field). */
export interface JobSchedule {
  readonly id: string;
  readonly data?: unknown;
  /** 5 fields (minute first) or 6 (second first). */
  readonly cron?: string;
  /** IANA time zone of `cron` (default UTC). */
  readonly tz?: string;
  /** Fixed interval, at least 1000 ms. */
  readonly everyMs?: number;
  /** ISO 8601. */
  readonly startAt?: string;
  readonly endAt?: string;
  readonly limit?: number;
  readonly missed?: 'latest' | 'all';
  readonly missedCap?: number;
  readonly overlap?: 'allow' | 'skip';
  readonly job?: {
    readonly resultTtlSec?: number;
    readonly maxAttempts?: number;
    readonly backoff?: Backoff;
    readonly timeoutMs?: number;
  };
}

/** What a job type's setup gets. */
export interface SetupContext {
  readonly concurrency: number;
  readonly log: Logger;
}

// The handler's data type is erased once definitions of many types sit in one registry.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobDefinition = JobDefinition<any, unknown>;

/**
 * Identity function that gives a definition its types, its name included (as a literal, so
 * that a typed client or producer knows each type's data and value by name: type-map.ts).
 */
export function defineJob<S extends TSchema, R, const N extends string = string>(
  definition: JobDefinition<S, R, N>,
): JobDefinition<S, R, N> {
  return definition;
}

/** Settings a job module may read when it exports a factory instead of definitions. */
export interface JobSettings {
  readonly permuteDelayMs: number;
}
