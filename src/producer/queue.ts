import type { RedisOptions } from 'ioredis';
import { DEV_SECRET, Signer, newNodeId, sendSigned } from '../cluster/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { WorkmeshError, isWorkmeshError } from '../errors/index.js';
import type { JobState } from '../job-schema/index.js';
import {
  registryOf,
  type DataOf,
  type JobDefinitions,
  type JobRegistry,
  type JobTypeMap,
  type TypeName,
  type TypesOf,
  type ValueOf,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { HistoryRecorder } from '../history/index.js';
import {
  CountingProducer,
  JobWatcher,
  type Producer,
  cancelById,
  checkedId,
  followJob,
  getJob,
  getJobStatus,
  type CancelAnswer,
  type FollowedEvent,
  type JobGone,
} from '../queue/index.js';
import { isFinalStatus } from '../job-schema/index.js';
import { Keys, connectRedis, redisErrorOf, type Redis } from '../redis/index.js';
import {
  Submitter,
  checkWorkItem,
  submissionOf,
  type Submitted,
  type WorkItem,
} from '../submit/index.js';

export interface QueueOptions<T = JobTypeMap> {
  /**
   * Redis: a URL (`redis://`, `rediss://`, `redis+cluster://`, `redis+sentinel://`, as
   * REDIS_URL) or ioredis options; default: `config.redisUrl`, else redis://127.0.0.1:6379.
   */
  readonly redis?: string | RedisOptions;
  /**
   * The job types it may add: definitions (an array or an object of them) or a registry.
   * Definitions also type the queue: `new Queue({ jobs })` is a `Queue<typeof jobs>`.
   */
  readonly jobs: T | JobDefinitions | JobRegistry;
  /**
   * Settings (`loadConfig(...)`): the key prefix, the default result TTL, attempts and
   * backoff, the webhook allow list, the cluster secret. Default: every setting's default.
   */
  readonly config?: Config;
  /** Default: a pino logger at `config.logLevel`. */
  readonly log?: Logger;
}

/** What add() takes besides the type and data: POST /api/work's body fields. */
export type AddOptions = Omit<WorkItem, 'type' | 'data' | 'runAt'> & {
  /** Run at this time (a Date, or ISO 8601); else after delayMs; else now. */
  readonly runAt?: Date | string;
};

/** A job added: its callback id, as POST /api/work answers it. */
export interface Added<K extends string = string> {
  readonly id: string;
  readonly type: K;
  /** `accepted`, or the status of the job an idempotency key or dedupe window named. */
  readonly status: string;
  /** false: a resend (same key) or a dedupe window answered an existing job. */
  readonly created: boolean;
  /** A dedupe window answered (throttle) or replaced (debounce) a job. */
  readonly deduplicated?: true;
  /** Due time (ISO 8601), when later than now. */
  readonly runAt?: string;
}

/** One job of addBulk(): each type with its own data. */
export type BulkJob<M extends JobTypeMap> = {
  [K in TypeName<M>]: {
    readonly type: K;
    readonly data: DataOf<M, K>;
    readonly options?: AddOptions;
  };
}[TypeName<M>];

/** One answer of addBulk(), in order: each job is checked and answered on its own. */
export type BulkResult<M extends JobTypeMap> =
  | ({ readonly ok: true } & Added<TypeName<M>>)
  | { readonly ok: false; readonly error: WorkmeshError };

/** A job's state as GET /api/status answers it, with its value typed. */
export type JobStateOf<M extends JobTypeMap, K extends TypeName<M> = TypeName<M>> = Omit<
  JobState,
  'value'
> & { readonly value?: ValueOf<M, K> };

export interface WaitOptions {
  /** Default 60,000. Past it: WM_ERR_JOB_WAIT_TIMEOUT with the last state. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface EventsOptions {
  /** Skip the events numbered up to this one (as Last-Event-ID). */
  readonly after?: number;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
}

/**
 * The job types a `Queue<T>` knows: those of T's definitions (or T itself, a JobTypeMap); any
 * type, with unknown data and value, when T is a registry or left out.
 */
export type QueueTypesOf<T> = T extends JobRegistry ? JobTypeMap : TypesOf<T>;

/**
 * The producer API: jobs added from the application's own process, through the same
 * Submitter as POST /api/work (the job registry's checks, the defaults, priorities, groups,
 * dedupe windows, idempotency keys, partitions) and read as GET /api/status reads them.
 * Typed by the job definitions it is given: `new Queue({ jobs })` knows each type's data and
 * value (as `Queue<typeof jobs>`, or `Queue<JobTypesOf<typeof jobs>>`, written out).
 */
export class Queue<
  T extends JobDefinitions | JobRegistry | JobTypeMap = JobTypeMap,
  M extends JobTypeMap = QueueTypesOf<T>,
> {
  /** The Redis connection it writes and reads with. */
  readonly redis: Redis;
  readonly config: Config;
  private readonly keys: Keys;
  private readonly producer: Producer;
  /** Its jobs count as accepted in the metrics history, as the API's do. */
  private readonly history: HistoryRecorder;
  private readonly submitter: Submitter;
  private readonly log: Logger;
  private readonly name: string;
  private readonly signer: Signer;
  private readonly redisTarget: string | RedisOptions | undefined;
  private watcher: Promise<JobWatcher> | undefined;
  private closed = false;

  constructor(options: QueueOptions<T>) {
    this.config = options.config ?? loadConfig({});
    this.name = newNodeId('producer');
    this.log = options.log ?? createLogger(this.config.logLevel, { role: 'producer' });
    this.redisTarget = options.redis ?? this.config.redisUrl;
    this.redis = connectRedis(this.redisTarget, this.log, { name: `wm-${this.name}` });
    this.keys = new Keys(this.config.prefix);
    this.history = new HistoryRecorder(this.redis, this.keys, this.log, this.config.historyFlushMs);
    this.history.start();
    this.producer = new CountingProducer(this.redis, this.keys, this.name, (type) =>
      this.history.accepted(type),
    );
    this.submitter = new Submitter({
      config: this.config,
      registry: registryOf(options.jobs as JobDefinitions | JobRegistry),
      producer: this.producer,
      redis: this.redis,
      keys: this.keys,
    });
    this.signer = new Signer(this.config.clusterSecret ?? DEV_SECRET);
  }

  /**
   * Adds one job; resolves once it is in Redis. Throws a WorkmeshError for a bad type, data or
   * option (the code POST /api/work answers with), and for Redis errors.
   */
  async add<K extends TypeName<M>>(
    type: K,
    data: DataOf<M, K>,
    options: AddOptions = {},
  ): Promise<Added<K>> {
    const runAt = options.runAt instanceof Date ? options.runAt.toISOString() : options.runAt;
    const item = checkWorkItem(
      { ...options, ...(runAt === undefined ? {} : { runAt }), type, data },
      'add',
    );
    const submitted = await this.submitter.submit(submissionOf(item, { type, data }));
    return added(type, submitted);
  }

  /**
   * Adds many jobs at once (one turn: the producer writes them in a few script calls). Each is
   * checked and answered on its own, in order; one bad job never fails the others.
   */
  addBulk(jobs: readonly BulkJob<M>[]): Promise<BulkResult<M>[]> {
    return Promise.all(
      jobs.map(async (job): Promise<BulkResult<M>> => {
        try {
          return { ok: true, ...(await this.add(job.type, job.data, job.options)) };
        } catch (err) {
          const error = isWorkmeshError(err) ? err : redisErrorOf(err);
          if (error === undefined) throw err;
          return { ok: false, error };
        }
      }),
    );
  }

  /** The job's state as GET /api/status/<id> answers it; undefined once its TTL has passed. */
  async get<K extends TypeName<M> = TypeName<M>>(
    id: string,
  ): Promise<JobStateOf<M, K> | undefined> {
    checkedId(id);
    return await getJobStatus(this.redis, this.keys, id);
  }

  /**
   * Waits until the job is done, failed or cancelled and answers its final state (woken by
   * the job's events, not by polling). Throws WM_ERR_JOB_NOT_FOUND for an unknown job,
   * WM_ERR_JOB_WAIT_TIMEOUT at the deadline, the signal's reason when aborted.
   */
  async waitFor<K extends TypeName<M> = TypeName<M>>(
    id: string,
    options: WaitOptions = {},
  ): Promise<JobStateOf<M, K>> {
    checkedId(id);
    const { signal } = options;
    signal?.throwIfAborted();
    const watcher = await this.watching();
    const state = await watcher.untilFinal(
      id,
      () => getJobStatus(this.redis, this.keys, id),
      options.timeoutMs ?? 60_000,
      signal,
    );
    if (!state) throw notFound(id);
    signal?.throwIfAborted();
    if (!isFinalStatus(state.status)) {
      throw new WorkmeshError(
        'WM_ERR_JOB_WAIT_TIMEOUT',
        `job ${id} still ${state.status} after ${options.timeoutMs ?? 60_000} ms`,
        { details: { state } },
      );
    }
    return state;
  }

  /**
   * The job's events, as GET /api/events/<id> streams them: `accepted`, `pending`,
   * `progress`..., then the final one (with `value` or `error`), after which the iteration
   * ends; a `gone` item if its record expires meanwhile. Throws WM_ERR_JOB_NOT_FOUND for an
   * unknown job.
   */
  async *events(
    id: string,
    options: EventsOptions = {},
  ): AsyncGenerator<FollowedEvent | JobGone, void, undefined> {
    checkedId(id);
    const read = () => getJob(this.redis, this.keys, id);
    if (!(await read())) throw notFound(id);
    yield* followJob(id, {
      read,
      watcher: await this.watching(),
      ...(options.after === undefined ? {} : { after: options.after }),
      signal: options.signal,
      onReadError: (err) =>
        this.log.warn({ err: (err as Error).message, jobId: id }, 'job events: read failed'),
    });
  }

  /**
   * Cancels the job as DELETE /api/work/<id> does: a queued job never runs, a running one is
   * aborted on its worker. Throws WM_ERR_JOB_NOT_FOUND or WM_ERR_JOB_FINAL.
   */
  cancel(id: string): Promise<CancelAnswer> {
    return cancelById(this.redis, this.keys, id, (target, message) =>
      sendSigned(this.redis, this.keys, this.signer, this.name, target, message),
    );
  }

  /** Writes what is still batched, then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.drain();
    await this.history.stop();
    const watcher = await this.watcher?.catch(() => undefined);
    await watcher?.stop();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The job watcher (one pub/sub connection), started on the first wait or events(). */
  private watching(): Promise<JobWatcher> {
    this.watcher ??= (async () => {
      const watcher = new JobWatcher(
        connectRedis(this.redisTarget, this.log, { blocking: true, name: `wm-watch-${this.name}` }),
        this.config.prefix,
        this.log,
      );
      await watcher.start();
      return watcher;
    })();
    return this.watcher;
  }
}

function notFound(id: string): WorkmeshError {
  return new WorkmeshError(
    'WM_ERR_JOB_NOT_FOUND',
    `no job ${id}: unknown, or its result has expired`,
  );
}

function added<K extends string>(type: K, submitted: Submitted): Added<K> {
  const { id, runAt, created } = submitted;
  return {
    id,
    type,
    status: created ? 'accepted' : submitted.status,
    created,
    ...(submitted.deduplicated ? { deduplicated: true as const } : {}),
    ...(runAt > Date.now() ? { runAt: new Date(runAt).toISOString() } : {}),
  };
}
