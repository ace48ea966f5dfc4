/** Shapes of the HTTP API's answers (the OpenAPI document at /api/openapi.json is the reference). */
export type JobStatus = 'accepted' | 'pending' | 'done' | 'failed' | 'cancelled';

export interface Accepted {
  readonly callback: string;
  readonly status: 'accepted';
  readonly type: string;
  readonly statusUrl: string;
}

export interface JobState {
  readonly callback: string;
  readonly type: string;
  readonly status: JobStatus;
  readonly value?: unknown;
  readonly error?: string;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly resultTtlSec: number;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly acceptedBy: string;
  readonly workedBy?: string;
}

export const FINAL_STATUSES: readonly JobStatus[] = ['done', 'failed', 'cancelled'];

export interface SubmitOptions {
  readonly resultTtlSec?: number;
}

export interface WaitOptions {
  /** Give up after this long (default 60 s); the last state is then thrown in the error. */
  readonly timeoutMs?: number;
  /** Pause between polls (default 200 ms, doubling up to 2 s). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}
