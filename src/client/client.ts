import { WorkmeshError } from '../errors/index.js';
// The statuses alone, not the job-schema entry: that one brings TypeBox into browser bundles.
// eslint-disable-next-line no-restricted-imports
import { isFinalStatus } from '../job-schema/statuses.js';
import { followEvents, type EventsOptions } from './event-stream.js';
import {
  CallScope,
  callerSignal,
  errorOf,
  pause,
  readJson,
  scopeOf,
  send,
  type CallOptions,
  type HttpSettings,
} from './http.js';
import type { JobTypeMap } from '../jobs/index.js';
import type { JobEventMessage } from './sse.js';
import type { BatchItem, DataFor, JobId, NameOf, StateOf, Submitted, ValueFor } from './typed.js';
import {
  type BatchAnswer,
  type Cancelled,
  type DeadPage,
  type JobState,
  type ScheduleSpec,
  type ScheduleView,
  type LimitsChange,
  type QueueState,
  type SubmitOptions,
  type WaitOptions,
  type FlowAccepted,
  type FlowNode,
  type FlowTree,
  type BatchState,
} from './types.js';
import {
  jobsQueryString,
  type JobAction,
  type JobActionAnswer,
  type JobsPage,
  type JobsQuery,
} from './jobs-query.js';

export interface ClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:5983 */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Default deadline of each call, its retries included (30 s); wait() has its own. */
  readonly timeoutMs?: number;
  /** Default retries of a 429 or 503 answer (3, so at most 4 tries). */
  readonly retries?: number;
  /** First pause before a retry when the answer has no Retry-After (250 ms, doubling). */
  readonly retryDelayMs?: number;
  /** Longest pause before a retry, Retry-After included (30 s). */
  readonly maxRetryDelayMs?: number;
  /** Aborts every call of this client (each call can take its own signal too). */
  readonly signal?: AbortSignal;
  /** The fetch to use (default the platform's). */
  readonly fetch?: typeof fetch;
}

/** Options of status(): a long-poll of up to waitSec seconds, besides the call's own. */
export interface StatusOptions extends CallOptions {
  readonly waitSec?: number;
}

/**
 * A typed client of the workmesh HTTP API; API errors come back as WorkmeshError. `T` is the
 * job types it knows: `WorkmeshClient<typeof jobs>` (your definitions) or a JobTypeMap; left
 * out, any type name with unknown data. No `node:` import: it runs in Node, browsers, Deno
 * and Bun alike (import it from `workmesh/client`).
 */
export class WorkmeshClient<T = JobTypeMap> {
  private readonly settings: HttpSettings;

  constructor(options: ClientOptions) {
    const platformFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.settings = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      token: options.token,
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs ?? 250,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      signal: options.signal,
      fetch: platformFetch,
    };
  }

  /**
   * Submits work of a type (JSON form); the answer's callback id remembers the type. `options`
   * are the job's (its `timeoutMs` bounds each run), `call` this request's.
   */
  submit<K extends NameOf<T>>(
    type: K,
    data: DataFor<T, K>,
    options: SubmitOptions = {},
    call: CallOptions = {},
  ): Promise<Submitted<K>> {
    return this.request('POST', '/api/work', { type, data, ...options }, call);
  }

  /**
   * Submits up to 1,000 jobs in one request (POST /api/work/batch); each is answered on its
   * own, in order: one bad job never refuses the others.
   */
  submitBatch(jobs: readonly BatchItem<T>[], options: CallOptions = {}): Promise<BatchAnswer> {
    return this.request('POST', '/api/work/batch', { jobs }, options);
  }

  /** The seed's form: `POST /api/work?data=...` (type permute). */
  submitData(data: string, options: CallOptions = {}): Promise<Submitted<'permute'>> {
    return this.request('POST', `/api/work?data=${encodeURIComponent(data)}`, undefined, options);
  }

  /**
   * The job's state; throws WM_ERR_JOB_NOT_FOUND once it is gone. With waitSec, the API holds
   * the request until the job is final or that many seconds pass (long-poll); the call's
   * default deadline is then at least waitSec plus 10 s.
   */
  status<K extends NameOf<T>>(
    id: JobId<K>,
    options?: number | StatusOptions,
  ): Promise<StateOf<K, ValueFor<T, K>>>;
  status(id: string, options?: number | StatusOptions): Promise<JobState>;
  status(id: string, options: number | StatusOptions = {}): Promise<JobState> {
    const { waitSec = 0, ...call } = typeof options === 'number' ? { waitSec: options } : options;
    const wait = waitSec > 0 ? `?wait=${waitSec}` : '';
    // A long-poll is held up to waitSec: the default deadline leaves it that long and more.
    const timeoutMs = call.timeoutMs ?? Math.max(this.settings.timeoutMs, waitSec * 1000 + 10_000);
    return this.request('GET', `/api/status/${encodeURIComponent(id)}${wait}`, undefined, {
      ...call,
      timeoutMs,
    });
  }

  /** Cancels a job: a queued one never runs, a running one is aborted. */
  cancel(id: string, options: CallOptions = {}): Promise<Cancelled> {
    return this.request('DELETE', `/api/work/${encodeURIComponent(id)}`, undefined, options);
  }

  /** A page of jobs, newest first (GET /api/jobs); pass the page's `cursor` for the next. */
  jobs(query: JobsQuery = {}, options: CallOptions = {}): Promise<JobsPage> {
    return this.request('GET', `/api/jobs${jobsQueryString(query)}`, undefined, options);
  }

  /** Retries, cancels or deletes jobs by id (POST /api/jobs/actions), each answered on its own. */
  actOnJobs(
    action: JobAction,
    ids: readonly string[],
    options: CallOptions = {},
  ): Promise<JobActionAnswer> {
    return this.request('POST', '/api/jobs/actions', { action, ids }, options);
  }

  /** Submits a flow: a tree whose parents run once their children are final. */
  submitFlow(flow: FlowNode, options: CallOptions = {}): Promise<FlowAccepted> {
    return this.request('POST', '/api/flows', { flow }, options);
  }

  /** Submits a chain: steps run one after another, each reading the value before. */
  submitChain(
    steps: readonly Omit<FlowNode, 'children' | 'onFail'>[],
    options: CallOptions = {},
  ): Promise<FlowAccepted> {
    return this.request('POST', '/api/flows', { chain: steps }, options);
  }

  /** A flow's tree, each node with its status and value. */
  flow(id: string, options: CallOptions = {}): Promise<FlowTree> {
    return this.request('GET', `/api/flows/${encodeURIComponent(id)}`, undefined, options);
  }

  /** Cancels every node of a flow that is not final yet. */
  cancelFlow(id: string, options: CallOptions = {}): Promise<{ flow: string; cancelled: number }> {
    return this.request('DELETE', `/api/flows/${encodeURIComponent(id)}`, undefined, options);
  }

  /** Opens a batch: jobs, and a callback job run once, when it is closed and all are final. */
  openBatch(
    callback: FlowNode,
    jobs: readonly FlowNode[] = [],
    close = false,
    options: CallOptions = {},
  ): Promise<{ batch: string; ids: string[] }> {
    return this.request('POST', '/api/batches', { callback, jobs, close }, options);
  }

  /** Adds jobs to an open batch (WM_ERR_BATCH_CLOSED once closed). */
  addToBatch(
    id: string,
    jobs: readonly FlowNode[],
    close = false,
    options: CallOptions = {},
  ): Promise<{ batch: string; ids: string[] }> {
    const path = `/api/batches/${encodeURIComponent(id)}/jobs`;
    return this.request('POST', path, { jobs, close }, options);
  }

  /** Closes a batch: its callback runs once every job in it is final. */
  closeBatch(id: string, options: CallOptions = {}): Promise<BatchState> {
    const path = `/api/batches/${encodeURIComponent(id)}/close`;
    return this.request('POST', path, undefined, options);
  }

  /** A batch: open or closed, its counts, its callback's status and value. */
  batch(id: string, options: CallOptions = {}): Promise<BatchState> {
    return this.request('GET', `/api/batches/${encodeURIComponent(id)}`, undefined, options);
  }

  /** Dead letters (jobs failed for good), newest first. */
  dead(
    query: { type?: string; offset?: number; limit?: number } = {},
    options: CallOptions = {},
  ): Promise<DeadPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return this.request('GET', `/api/dead?${params.toString()}`, undefined, options);
  }

  /** Puts a dead letter back in its queue with fresh attempts. */
  retryDead(id: string, options: CallOptions = {}): Promise<{ retried: number }> {
    return this.request('POST', `/api/dead/${encodeURIComponent(id)}/retry`, undefined, options);
  }

  /** Puts every dead letter (of a type, or all) back in its queue. */
  retryAllDead(type?: string, options: CallOptions = {}): Promise<{ retried: number }> {
    const query = type ? `?type=${encodeURIComponent(type)}` : '';
    return this.request('POST', `/api/dead/retry${query}`, undefined, options);
  }

  purgeDead(id: string, options: CallOptions = {}): Promise<{ purged: number }> {
    return this.request('DELETE', `/api/dead/${encodeURIComponent(id)}`, undefined, options);
  }

  purgeAllDead(type?: string, options: CallOptions = {}): Promise<{ purged: number }> {
    const query = type ? `?type=${encodeURIComponent(type)}` : '';
    return this.request('DELETE', `/api/dead${query}`, undefined, options);
  }

  /** Creates or replaces a schedule (upsert by id; docs/schedules.md). */
  upsertSchedule(spec: ScheduleSpec, options: CallOptions = {}): Promise<ScheduleView> {
    return this.request('POST', '/api/schedules', spec, options);
  }

  /** Every schedule. */
  async schedules(options: CallOptions = {}): Promise<ScheduleView[]> {
    const answer = await this.request<{ schedules: ScheduleView[] }>(
      'GET',
      '/api/schedules',
      undefined,
      options,
    );
    return answer.schedules;
  }

  /** One schedule, with its next 5 fire times (`upcoming`) and its latest runs. */
  schedule(id: string, options: CallOptions = {}): Promise<ScheduleView> {
    return this.request('GET', `/api/schedules/${encodeURIComponent(id)}`, undefined, options);
  }

  removeSchedule(id: string, options: CallOptions = {}): Promise<{ removed: true }> {
    return this.request('DELETE', `/api/schedules/${encodeURIComponent(id)}`, undefined, options);
  }

  pauseSchedule(id: string, options: CallOptions = {}): Promise<ScheduleView> {
    const path = `/api/schedules/${encodeURIComponent(id)}/pause`;
    return this.request('POST', path, undefined, options);
  }

  resumeSchedule(id: string, options: CallOptions = {}): Promise<ScheduleView> {
    const path = `/api/schedules/${encodeURIComponent(id)}/resume`;
    return this.request('POST', path, undefined, options);
  }

  /** Every job type's queue: paused, waiting by priority, active, delayed, dead, limits. */
  async queues(options: CallOptions = {}): Promise<QueueState[]> {
    const answer = await this.request<{ queues: QueueState[] }>(
      'GET',
      '/api/queues',
      undefined,
      options,
    );
    return answer.queues;
  }

  /** One job type's queue; throws WM_ERR_QUEUE_UNKNOWN_TYPE for a type the API does not know. */
  queue(type: NameOf<T>, options: CallOptions = {}): Promise<QueueState> {
    return this.request('GET', `/api/queues/${encodeURIComponent(type)}`, undefined, options);
  }

  /** Pauses a job type: no job of it starts until resume(); submissions still wait. */
  pause(type: NameOf<T>, options: CallOptions = {}): Promise<QueueState> {
    const path = `/api/queues/${encodeURIComponent(type)}/pause`;
    return this.request('POST', path, undefined, options);
  }

  /** Resumes a paused job type. */
  resume(type: NameOf<T>, options: CallOptions = {}): Promise<QueueState> {
    const path = `/api/queues/${encodeURIComponent(type)}/resume`;
    return this.request('POST', path, undefined, options);
  }

  /** Changes a type's limits: a value sets one, `null` removes it, an absent field keeps it. */
  setLimits(type: NameOf<T>, limits: LimitsChange, options: CallOptions = {}): Promise<QueueState> {
    const path = `/api/queues/${encodeURIComponent(type)}/limits`;
    return this.request('PUT', path, limits, options);
  }

  /**
   * The job's events as they happen (accepted, pending, progress, done | failed | cancelled),
   * from server-sent events; a dropped connection is opened again with backoff and
   * Last-Event-ID, so no event is missed or repeated. Ends after the final event.
   */
  events(id: string, options: EventsOptions = {}): AsyncGenerator<JobEventMessage> {
    const scope = new CallScope(
      options.timeoutMs,
      callerSignal(this.settings.signal, options.signal),
    );
    return followEvents(this.settings, scope, id, options);
  }

  /**
   * Waits until the job is done, failed or cancelled and answers its final state: pushed by
   * server-sent events, with long-polling as the fallback when streaming fails (a proxy that
   * buffers, say). At the deadline, throws WM_ERR_CLIENT_TIMEOUT with the last state seen
   * (details.state); on the signal, WM_ERR_CLIENT_ABORTED.
   */
  wait<K extends NameOf<T>>(
    id: JobId<K>,
    options?: WaitOptions,
  ): Promise<StateOf<K, ValueFor<T, K>>>;
  wait(id: string, options?: WaitOptions): Promise<JobState>;
  async wait(id: string, options: WaitOptions = {}): Promise<JobState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const scope = new CallScope(timeoutMs, callerSignal(this.settings.signal, options.signal));
    const deadline = performance.now() + timeoutMs;
    let last: unknown;
    const call = (): StatusOptions => ({
      signal: scope.signal,
      timeoutMs: Math.max(1, deadline - performance.now()),
    });
    try {
      try {
        // Few reconnects: past them, long-polls do as well as a stream that keeps dropping.
        for await (const event of followEvents(this.settings, scope, id, { reconnects: 3 })) {
          last = { status: event.status };
          if (!isFinalStatus(event.status)) continue;
          // The stream replays the job's whole log: a final event may be of an earlier life of
          // a retried dead letter, which runs again now. Only a final status ends the wait.
          const state = await this.status(id, call());
          last = state;
          if (isFinalStatus(state.status)) return state;
        }
      } catch (err) {
        // Not found and the like are answers; anything else falls back to long-polling.
        if (scope.ended || !(err instanceof WorkmeshError) || err.code !== 'WM_ERR_CLIENT_HTTP')
          throw err;
      }
      for (let failures = 0; ;) {
        const left = deadline - performance.now();
        try {
          const waitSec = Math.max(1, Math.min(30, Math.floor(left / 1000)));
          const state = await this.status(id, { ...call(), waitSec });
          last = state;
          if (isFinalStatus(state.status)) return state;
          failures = 0;
        } catch (err) {
          // Redis away (503 past the retries), the API restarting: try again until the deadline.
          if (scope.ended || !(err instanceof WorkmeshError) || !err.retryable) throw err;
          const delayMs = Math.min(this.settings.retryDelayMs * 2 ** failures++, 5_000);
          await pause(delayMs, scope.signal);
        }
      }
    } catch (err) {
      if (scope.ended) throw scope.error(`wait for ${id}`, { state: last });
      throw err;
    }
  }

  private async request<R>(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<R> {
    const scope = scopeOf(this.settings, options);
    const what = `${method} ${path}`;
    const response = await send(
      this.settings,
      scope,
      { method, path, body },
      options.retries ?? this.settings.retries,
    );
    if (response.ok) return (await readJson(response, scope, what)) as R;
    throw await errorOf(response, scope, what);
  }
}
