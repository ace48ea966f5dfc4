import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import { withRedis } from '../http/index.js';
import type { JobRegistry } from '../jobs/index.js';
import {
  checkDedupe,
  checkGroup,
  checkPriority,
  dedupeFromRule,
  getJob,
  type Backoff,
  type Dedupe,
  type NewJob,
  type Producer,
} from '../queue/index.js';
import { queueOfJobId, type Keys } from '../redis/index.js';
import { activeTrace, type TraceCarrier } from '../tracing/index.js';
import { WebhookAllowList } from '../webhooks/index.js';
import { mintRetryKey, mintedValue } from '../http/index.js';
import { chooseDedupeJob } from './dedupe.js';
import { chooseJobId, mismatch, type IdStore } from './job-id.js';

export interface SubmitterOptions {
  readonly config: Pick<Config, 'resultTtlSec' | 'maxAttempts' | 'backoffMs' | 'webhookAllow'>;
  readonly registry: JobRegistry;
  readonly producer: Producer;
  readonly redis: Redis;
  readonly keys: Keys;
  /**
   * A server's requests wait at most this long for Redis, then fail with 503 (http's
   * withRedis); absent (the shell): a call waits for Redis as any other.
   */
  readonly redisTimeoutMs?: number;
}

/** A job to submit: its type and data, and what the submitter chose to set of the rest. */
export interface Submission {
  readonly type: string;
  readonly data: unknown;
  /** Idempotency key: a resend with it names the same job. */
  readonly key?: string | undefined;
  /** The token's tenant, when tokens are in use: the id is bound to it. */
  readonly tenant?: string | undefined;
  /** Run at (ISO 8601); else after delayMs; else now. */
  readonly runAt?: string | undefined;
  readonly delayMs?: number | undefined;
  readonly resultTtlSec?: number | undefined;
  readonly maxAttempts?: number | undefined;
  readonly backoff?: Backoff | undefined;
  readonly timeoutMs?: number | undefined;
  /** Webhook: the final status is POSTed here (checked against WORKMESH_WEBHOOK_ALLOW). */
  readonly callbackUrl?: string | undefined;
  /** -10..10, higher runs first (default: the type's, else 0). Checked here. */
  readonly priority?: unknown;
  /** A group for per-group limits. Checked here. */
  readonly group?: unknown;
  /** A deduplication window (default: the type's rule, if any). Checked here. */
  readonly dedupe?: unknown;
  /**
   * The submitting request's trace context (its `traceparent` header): stored with the job,
   * its attempts' spans are children of it. Absent: the active span's, if there is one.
   */
  readonly trace?: TraceCarrier | undefined;
}

export interface Submitted {
  /** The callback id. */
  readonly id: string;
  /** false: the key named a job that exists already (a resend). */
  readonly created: boolean;
  /** `accepted`, or the current status of the job a resend named. */
  readonly status: string;
  /** Due time, ms since the epoch; 0: now. */
  readonly runAt: number;
  /** true: a dedupe window answered a job that existed (throttle), or replaced it (debounce). */
  readonly deduplicated?: boolean;
}

export interface Prepared {
  /** The job type. */
  readonly type: string;
  /** Its queues (one, or one per partition). */
  readonly queues: readonly string[];
  /** The record to write, but for the queue and id. */
  readonly job: Omit<NewJob, 'queue' | 'id'>;
}

/**
 * The one way a job is submitted (the API, the console and the shell): its type's checks, the
 * defaults (the request's, else its type's, else the settings'), the partition it goes to and
 * its idempotent id.
 */
export class Submitter {
  private readonly webhooks: WebhookAllowList;
  private readonly store: IdStore;

  constructor(private readonly options: SubmitterOptions) {
    this.webhooks = new WebhookAllowList(options.config.webhookAllow);
    const { redis, keys, redisTimeoutMs } = options;
    this.store = {
      redis,
      keys,
      guard:
        redisTimeoutMs === undefined ? (fn) => fn() : (fn) => withRedis(redis, redisTimeoutMs, fn),
    };
  }

  /**
   * Checks and queues the job. onRetryKey gets the key that makes a resend safe as soon as the
   * id is fixed, before the job is written (a 5xx answer carries it: http's retry keys).
   */
  /**
   * The checks and defaults of one job, without writing it: its type's definition and what
   * its record holds. submit() uses it, and so does a flow's submit (src/flow/) for each node.
   */
  prepare(job: Submission): Prepared {
    const { config, registry } = this.options;
    const definition = registry.validate(job.type, job.data);
    if (job.callbackUrl !== undefined) {
      const verdict = this.webhooks.checkUrl(job.callbackUrl);
      if (!verdict.ok) {
        throw new WorkmeshError(
          'WM_ERR_WEBHOOK_NOT_ALLOWED',
          `callbackUrl refused: ${verdict.reason}`,
        );
      }
    }
    const runAt =
      job.runAt !== undefined ? Date.parse(job.runAt) : job.delayMs ? Date.now() + job.delayMs : 0;
    // The date-time format passes a leap second (`23:59:60Z`) that Date cannot hold (NaN):
    // that job would run at once.
    if (Number.isNaN(runAt)) {
      throw new WorkmeshError(
        'WM_ERR_API_BAD_REQUEST',
        'body/runAt is not a time this API can hold',
      );
    }
    const timeoutMs = job.timeoutMs ?? definition.timeoutMs;
    const priority = checkPriority(job.priority) ?? definition.priority;
    const group = checkGroup(job.group);
    const trace = job.trace ?? activeTrace();
    return {
      type: definition.name,
      queues: registry.queuesOf(definition.name),
      job: {
        data: job.data,
        resultTtlSec: job.resultTtlSec ?? definition.resultTtlSec ?? config.resultTtlSec,
        maxAttempts: job.maxAttempts ?? definition.maxAttempts ?? config.maxAttempts,
        options: {
          backoff: job.backoff ??
            definition.backoff ?? { type: 'exponential', delayMs: config.backoffMs },
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...trace,
        },
        runAt,
        ...(job.callbackUrl === undefined ? {} : { webhook: job.callbackUrl }),
        ...(priority ? { priority } : {}),
        ...(group === undefined ? {} : { group }),
      },
    };
  }

  /**
   * Checks and queues the job. onRetryKey gets the key that makes a resend safe as soon as the
   * id is fixed, before the job is written (a 5xx answer carries it: http's retry keys).
   */
  async submit(job: Submission, onRetryKey?: (key: string) => void): Promise<Submitted> {
    const prepared = this.prepare(job);
    const runAt = prepared.job.runAt ?? 0;
    const definition = this.options.registry.get(prepared.type)!;
    const dedupe = this.dedupeOf(job, definition.name, definition.dedupe);
    // Debounce: the job waits for ttlSec of quiet (each replacement pushes it back).
    const dueAt =
      dedupe?.mode === 'debounce' ? Math.max(runAt, Date.now() + dedupe.ttlSec * 1000) : runAt;
    const queues = prepared.queues;
    let choice: { id: string; retryKey: string; compared: boolean };
    if (dedupe === undefined) {
      choice = await chooseJobId(this.store, {
        type: definition.name,
        queues,
        data: job.data,
        key: job.key,
        tenant: job.tenant,
        runAt,
      });
    } else {
      const minted = job.key === undefined ? undefined : mintedValue(job.key);
      const window = await chooseDedupeJob(this.store, {
        queues,
        tenant: job.tenant,
        dedupe,
        minted:
          minted !== undefined && queues.includes(queueOfJobId(minted) ?? '') ? minted : undefined,
        dataJson: JSON.stringify(job.data),
        runAt: dueAt,
      });
      if (window.verdict !== 'create') {
        const existing = await this.store.guard(() =>
          getJob(this.options.redis, this.options.keys, window.id),
        );
        return {
          id: window.id,
          created: false,
          status: existing?.status ?? 'accepted',
          runAt:
            window.verdict === 'replaced'
              ? dueAt
              : existing?.runAt
                ? Date.parse(existing.runAt)
                : 0,
          deduplicated: true,
        };
      }
      // The window decided the id: a resend finds a debounced job with later data, rightly.
      choice = { id: window.id, retryKey: mintRetryKey(window.id), compared: true };
    }
    onRetryKey?.(choice.retryKey);
    // Field by field, not `{...prepared.job, runAt, queue, id}`: adding fields after a spread
    // takes V8's slow path (about 2 µs a job on Node 20).
    const record = prepared.job;
    const newJob: { -readonly [K in keyof NewJob]: NewJob[K] } = {
      queue: queueOfJobId(choice.id)!,
      id: choice.id,
      data: record.data,
      resultTtlSec: record.resultTtlSec,
      maxAttempts: record.maxAttempts,
      runAt: dueAt,
    };
    if (record.options !== undefined) newJob.options = record.options;
    if (record.webhook !== undefined) newJob.webhook = record.webhook;
    if (record.priority !== undefined) newJob.priority = record.priority;
    if (record.group !== undefined) newJob.group = record.group;
    const { id, created } = await this.store.guard(() => this.options.producer.enqueue(newJob));
    if (created) return { id, created, status: 'accepted', runAt: dueAt };
    const existing = await this.store.guard(() =>
      getJob(this.options.redis, this.options.keys, id),
    );
    // A key whose first use was not recorded (a minted key, or its record expired): the job
    // it names must be this request's.
    if (
      existing &&
      !choice.compared &&
      (existing.type !== definition.name ||
        JSON.stringify(existing.data) !== JSON.stringify(job.data))
    ) {
      throw mismatch(definition.name);
    }
    return { id, created, status: existing?.status ?? 'accepted', runAt: dueAt };
  }

  /**
   * The job's own window, else its type's. With a client's own Idempotency-Key the key names
   * the job: a window of its own beside it is refused (each would name a job), a type's rule
   * stands aside. A minted key (a resend after a 5xx) names the window's candidate.
   */
  private dedupeOf(
    job: Submission,
    type: string,
    rule: Parameters<typeof dedupeFromRule>[0] | undefined,
  ): Dedupe | undefined {
    const own = checkDedupe(job.dedupe);
    const clientKey = job.key !== undefined && mintedValue(job.key) === undefined;
    if (own !== undefined && clientKey) {
      throw new WorkmeshError(
        'WM_ERR_JOB_BAD_DEDUPE',
        'dedupe and an Idempotency-Key of your own exclude each other: the window already answers a resend with its job',
      );
    }
    if (own !== undefined) return own;
    if (rule === undefined || clientKey) return undefined;
    return dedupeFromRule(rule, type, job.data);
  }
}
