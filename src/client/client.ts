import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshError, catalogue, type ErrorCode } from '../errors/index.js';
import {
  FINAL_STATUSES,
  type Accepted,
  type Cancelled,
  type DeadPage,
  type JobState,
  type SubmitOptions,
  type WaitOptions,
} from './types.js';

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

  /** The seed's form: `POST /api/work?data=...` (type permute). */
  submitData(data: string): Promise<Accepted> {
    return this.request<Accepted>('POST', `/api/work?data=${encodeURIComponent(data)}`);
  }

  /** The job's state; throws WM_ERR_JOB_NOT_FOUND once it is gone. */
  status(id: string): Promise<JobState> {
    return this.request<JobState>('GET', `/api/status/${encodeURIComponent(id)}`);
  }

  /** Cancels a job: a queued one never runs, a running one is aborted. */
  cancel(id: string): Promise<Cancelled> {
    return this.request<Cancelled>('DELETE', `/api/work/${encodeURIComponent(id)}`);
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

  /** Polls until the job is done, failed or cancelled. */
  async wait(id: string, options: WaitOptions = {}): Promise<JobState> {
    const deadline = performance.now() + (options.timeoutMs ?? 60_000);
    let interval = options.intervalMs ?? 200;
    for (;;) {
      const state = await this.status(id);
      if (FINAL_STATUSES.includes(state.status)) return state;
      if (performance.now() + interval > deadline) {
        throw new WorkmeshError(
          'WM_ERR_CLIENT_HTTP',
          `job ${id} still ${state.status} at the deadline`,
          {
            details: { state },
          },
        );
      }
      await sleep(interval, undefined, options.signal ? { signal: options.signal } : {});
      interval = Math.min(interval * 2, 2000);
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
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WorkmeshError(
        'WM_ERR_CLIENT_HTTP',
        `${method} ${path}: HTTP ${response.status}, not JSON`,
      );
    }
    if (response.ok) return json as T;
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
