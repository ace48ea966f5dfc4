import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshError, catalogue, type ErrorCode } from '../errors/index.js';
import { readEventStream, type JobEventMessage } from './sse.js';
import { isFinalStatus } from '../job-schema/index.js';
import {
  type Accepted,
  type BatchAnswer,
  type BatchJob,
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
}

/** A small typed client of the workmesh HTTP API; API errors come back as WorkmeshError. */
export class WorkmeshClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Submits work of a type (JSON form). */
  submit(type: string, data: unknown, options: SubmitOptions = {}): Promise<Accepted> {
    return this.request<Accepted>('POST', '/api/work', { type, data, ...options });
  }

  /**
   * Submits up to 1,000 jobs in one request (POST /api/work/batch); each is answered on its
   * own, in order: one bad job never refuses the others.
   */
  submitBatch(jobs: readonly BatchJob[]): Promise<BatchAnswer> {
    return this.request<BatchAnswer>('POST', '/api/work/batch', { jobs });
  }

  /** The seed's form: `POST /api/work?data=...` (type permute). */
  submitData(data: string): Promise<Accepted> {
    return this.request<Accepted>('POST', `/api/work?data=${encodeURIComponent(data)}`);
  }

  /**
   * The job's state; throws WM_ERR_JOB_NOT_FOUND once it is gone. With waitSec, the API holds
   * the request until the job is final or that many seconds pass (long-poll).
   */
  status(id: string, waitSec = 0): Promise<JobState> {
    const wait = waitSec > 0 ? `?wait=${waitSec}` : '';
    return this.request<JobState>('GET', `/api/status/${encodeURIComponent(id)}${wait}`);
  }

  /** Cancels a job: a queued one never runs, a running one is aborted. */
  cancel(id: string): Promise<Cancelled> {
    return this.request<Cancelled>('DELETE', `/api/work/${encodeURIComponent(id)}`);
  }

  /** A page of jobs, newest first (GET /api/jobs); pass the page's `cursor` for the next. */
  jobs(query: JobsQuery = {}): Promise<JobsPage> {
    return this.request<JobsPage>('GET', `/api/jobs${jobsQueryString(query)}`);
  }

  /** Retries, cancels or deletes jobs by id (POST /api/jobs/actions), each answered on its own. */
  actOnJobs(action: JobAction, ids: readonly string[]): Promise<JobActionAnswer> {
    return this.request<JobActionAnswer>('POST', '/api/jobs/actions', { action, ids });
  }

  /** Submits a flow: a tree whose parents run once their children are final. */
  submitFlow(flow: FlowNode): Promise<FlowAccepted> {
    return this.request<FlowAccepted>('POST', '/api/flows', { flow });
  }

  /** Submits a chain: steps run one after another, each reading the value before. */
  submitChain(steps: readonly Omit<FlowNode, 'children' | 'onFail'>[]): Promise<FlowAccepted> {
    return this.request<FlowAccepted>('POST', '/api/flows', { chain: steps });
  }

  /** A flow's tree, each node with its status and value. */
  flow(id: string): Promise<FlowTree> {
    return this.request<FlowTree>('GET', `/api/flows/${encodeURIComponent(id)}`);
  }

  /** Cancels every node of a flow that is not final yet. */
  cancelFlow(id: string): Promise<{ flow: string; cancelled: number }> {
    return this.request('DELETE', `/api/flows/${encodeURIComponent(id)}`);
  }

  /** Opens a batch: jobs, and a callback job run once, when it is closed and all are final. */
  openBatch(
    callback: FlowNode,
    jobs: readonly FlowNode[] = [],
    close = false,
  ): Promise<{ batch: string; ids: string[] }> {
    return this.request('POST', '/api/batches', { callback, jobs, close });
  }

  /** Adds jobs to an open batch (WM_ERR_BATCH_CLOSED once closed). */
  addToBatch(
    id: string,
    jobs: readonly FlowNode[],
    close = false,
  ): Promise<{ batch: string; ids: string[] }> {
    return this.request('POST', `/api/batches/${encodeURIComponent(id)}/jobs`, { jobs, close });
  }

  /** Closes a batch: its callback runs once every job in it is final. */
  closeBatch(id: string): Promise<BatchState> {
    return this.request('POST', `/api/batches/${encodeURIComponent(id)}/close`);
  }

  /** A batch: open or closed, its counts, its callback's status and value. */
  batch(id: string): Promise<BatchState> {
    return this.request('GET', `/api/batches/${encodeURIComponent(id)}`);
  }

  /** Dead letters (jobs failed for good), newest first. */
  dead(options: { type?: string; offset?: number; limit?: number } = {}): Promise<DeadPage> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options)) if (v !== undefined) query.set(k, String(v));
    return this.request<DeadPage>('GET', `/api/dead?${query.toString()}`);
  }

  /** Puts a dead letter back in its queue with fresh attempts. */
  retryDead(id: string): Promise<{ retried: number }> {
    return this.request('POST', `/api/dead/${encodeURIComponent(id)}/retry`);
  }

  /** Puts every dead letter (of a type, or all) back in its queue. */
  retryAllDead(type?: string): Promise<{ retried: number }> {
    return this.request(
      'POST',
      `/api/dead/retry${type ? `?type=${encodeURIComponent(type)}` : ''}`,
    );
  }

  purgeDead(id: string): Promise<{ purged: number }> {
    return this.request('DELETE', `/api/dead/${encodeURIComponent(id)}`);
  }

  purgeAllDead(type?: string): Promise<{ purged: number }> {
    return this.request('DELETE', `/api/dead${type ? `?type=${encodeURIComponent(type)}` : ''}`);
  }

  /** Creates or replaces a schedule (upsert by id; docs/schedules.md). */
  upsertSchedule(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.request<ScheduleView>('POST', '/api/schedules', spec);
  }

  /** Every schedule. */
  async schedules(): Promise<ScheduleView[]> {
    return (await this.request<{ schedules: ScheduleView[] }>('GET', '/api/schedules')).schedules;
  }

  /** One schedule, with its next 5 fire times (`upcoming`) and its latest runs. */
  schedule(id: string): Promise<ScheduleView> {
    return this.request<ScheduleView>('GET', `/api/schedules/${encodeURIComponent(id)}`);
  }

  removeSchedule(id: string): Promise<{ removed: true }> {
    return this.request('DELETE', `/api/schedules/${encodeURIComponent(id)}`);
  }

  pauseSchedule(id: string): Promise<ScheduleView> {
    return this.request('POST', `/api/schedules/${encodeURIComponent(id)}/pause`);
  }

  resumeSchedule(id: string): Promise<ScheduleView> {
    return this.request('POST', `/api/schedules/${encodeURIComponent(id)}/resume`);
  }

  /** Every job type's queue: paused, waiting by priority, active, delayed, dead, limits. */
  async queues(): Promise<QueueState[]> {
    return (await this.request<{ queues: QueueState[] }>('GET', '/api/queues')).queues;
  }

  /** One job type's queue; throws WM_ERR_QUEUE_UNKNOWN_TYPE for a type the API does not know. */
  queue(type: string): Promise<QueueState> {
    return this.request('GET', `/api/queues/${encodeURIComponent(type)}`);
  }

  /** Pauses a job type: no job of it starts until resume(); submissions still wait. */
  pause(type: string): Promise<QueueState> {
    return this.request('POST', `/api/queues/${encodeURIComponent(type)}/pause`);
  }

  /** Resumes a paused job type. */
  resume(type: string): Promise<QueueState> {
    return this.request('POST', `/api/queues/${encodeURIComponent(type)}/resume`);
  }

  /** Changes a type's limits: a value sets one, `null` removes it, an absent field keeps it. */
  setLimits(type: string, limits: LimitsChange): Promise<QueueState> {
    return this.request('PUT', `/api/queues/${encodeURIComponent(type)}/limits`, limits);
  }

  /**
   * The job's events as they happen (accepted, pending, progress, done | failed | cancelled),
   * from server-sent events; reconnects with Last-Event-ID after a dropped connection, so no
   * event is missed. Ends after the final event.
   */
  async *events(
    id: string,
    options: { lastEventId?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<JobEventMessage> {
    let last = options.lastEventId ?? 0;
    for (let reconnects = 0; reconnects < 20; reconnects++) {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last > 0) headers['last-event-id'] = String(last);
      if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
      const response = await fetch(`${this.baseUrl}/api/events/${encodeURIComponent(id)}`, {
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!response.ok || !response.body) {
        await this.throwFor(response, 'GET', `/api/events/${id}`);
      }
      for await (const event of readEventStream(response.body!)) {
        if (typeof event.n !== 'number') continue; // `gone`: the next request says 404
        last = event.n;
        yield event;
        if (isFinalStatus(event.status)) return;
      }
    }
    throw new WorkmeshError('WM_ERR_CLIENT_HTTP', `event stream of ${id} kept dropping`);
  }

  /**
   * Waits until the job is done, failed or cancelled and answers its final state: pushed by
   * server-sent events, with long-polling as the fallback when streaming fails (a proxy that
   * buffers, say). Throws WM_ERR_CLIENT_HTTP with the last state at the deadline.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<JobState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = performance.now() + timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      for await (const event of this.events(id, { signal })) {
        if (!isFinalStatus(event.status)) continue;
        // The stream replays the job's whole log: a final event may be of an earlier life of
        // a retried dead letter, which runs again now. Only a final status ends the wait.
        const state = await this.status(id);
        if (isFinalStatus(state.status)) return state;
      }
    } catch (err) {
      // Not found and the like are answers; anything else falls back to long-polling.
      if (err instanceof WorkmeshError && err.code !== 'WM_ERR_CLIENT_HTTP') throw err;
    }
    for (;;) {
      const left = deadline - performance.now();
      const state = await this.status(id, Math.max(0, Math.min(30, Math.floor(left / 1000))));
      if (isFinalStatus(state.status)) return state;
      if (performance.now() + 100 >= deadline || options.signal?.aborted) {
        throw new WorkmeshError(
          'WM_ERR_CLIENT_HTTP',
          `job ${id} still ${state.status} at the deadline`,
          {
            details: { state },
          },
        );
      }
      if (left < 1000) await sleep(Math.max(0, left - 50));
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new WorkmeshError(
        'WM_ERR_CLIENT_HTTP',
        `cannot reach ${this.baseUrl}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (response.ok) return (await this.parse(response, method, path)) as T;
    return this.throwFor(response, method, path);
  }

  private async parse(response: Response, method: string, path: string): Promise<unknown> {
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new WorkmeshError(
        'WM_ERR_CLIENT_HTTP',
        `${method} ${path}: HTTP ${response.status}, not JSON`,
      );
    }
  }

  private async throwFor(response: Response, method: string, path: string): Promise<never> {
    const json = await this.parse(response, method, path);
    const error = (
      json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
    ).error;
    const code =
      error?.code && error.code in catalogue ? (error.code as ErrorCode) : 'WM_ERR_CLIENT_HTTP';
    throw new WorkmeshError(code, error?.message ?? `HTTP ${response.status}`, {
      details: { httpStatus: response.status, ...(error?.details ?? {}) },
    });
  }
}
