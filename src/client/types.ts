/** Shapes of the HTTP API's answers (the OpenAPI document at /api/openapi.json is the reference). */
import type { JobState, JobStatus } from '../job-schema/index.js';

export type { JobState, JobStatus } from '../job-schema/index.js';
// The statuses alone, not the job-schema entry: that one brings TypeBox into browser bundles.
// eslint-disable-next-line no-restricted-imports
export { FINAL_STATUSES } from '../job-schema/statuses.js';

export interface Accepted {
  readonly callback: string;
  /** `accepted`, or the current status when the idempotency key named an existing job. */
  readonly status: JobStatus;
  readonly type: string;
  readonly statusUrl: string;
  readonly runAt?: string;
  readonly duplicate?: boolean;
  /** true: the dedupe window answered its job (throttle) or gave the waiting one this data (debounce). */
  readonly deduplicated?: boolean;
}

export interface SubmitOptions {
  readonly resultTtlSec?: number;
  readonly maxAttempts?: number;
  readonly backoff?: { type: 'exponential' | 'fixed'; delayMs: number; maxDelayMs?: number };
  readonly timeoutMs?: number;
  /** Run no sooner than this many ms from now. */
  readonly delayMs?: number;
  /** Run no sooner than this time (ISO 8601). */
  readonly runAt?: string;
  /** Idempotency key: a resend with the same key answers the same job. */
  readonly key?: string;
  /** Webhook: the final status is POSTed here (host must be in WORKMESH_WEBHOOK_ALLOW). */
  readonly callbackUrl?: string;
  /** -10..10, higher runs first (default: the type's, else 0). */
  readonly priority?: number;
  /** A group for per-group limits (a tenant, a customer, an API key). */
  readonly group?: string;
  /** A deduplication window: throttle or debounce the jobs that share the key. */
  readonly dedupe?: {
    readonly key: string;
    readonly ttlSec: number;
    readonly mode: 'throttle' | 'debounce';
  };
}

/** One job of a batch: its type (default permute), data and options. */
export interface BatchJob extends SubmitOptions {
  readonly type?: string;
  readonly data: unknown;
}

/** One job's answer in a batch: accepted (as `submit`'s answer), or its own error. */
export type BatchResult =
  | ({ readonly index: number; readonly ok: true } & Accepted)
  | {
      readonly index: number;
      readonly ok: false;
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly details?: Record<string, unknown>;
      };
    };

export interface BatchAnswer {
  readonly accepted: number;
  readonly failed: number;
  /** One per job, in order. */
  readonly results: readonly BatchResult[];
}

export interface Cancelled {
  readonly callback: string;
  readonly status: 'cancelled';
  readonly wasRunning: boolean;
}

export interface DeadPage {
  readonly total: number;
  readonly jobs: readonly JobState[];
}

/**
 * Options of wait(). There is no polling interval: the final state is pushed (server-sent
 * events, else long-polls of up to 30 s each).
 */
export interface WaitOptions {
  /**
   * Give up after this long (default 60 s): WM_ERR_CLIENT_TIMEOUT, with the last state seen in
   * its details.
   */
  readonly timeoutMs?: number;
  /** Stops waiting: WM_ERR_CLIENT_ABORTED. */
  readonly signal?: AbortSignal;
}

/** A schedule as written, and as the API shows it (docs/schedules.md). */
export type { ScheduleSpec, ScheduleView } from '../schedule/index.js';
/** GET /api/queues: a job type's queue (docs/queues.md). */
export type { QueueState, QueueLimits, LimitsChange, RateLimit, HeldBack } from '../queue/index.js';
/** One node of a flow to submit (docs/workflows.md). */
export interface FlowNode {
  readonly type: string;
  readonly data?: unknown;
  readonly resultTtlSec?: number;
  readonly maxAttempts?: number;
  readonly backoff?: { type: 'exponential' | 'fixed'; delayMs: number; maxDelayMs?: number };
  readonly timeoutMs?: number;
  readonly callbackUrl?: string;
  /** What this node's failure does to its parent: `fail` (default), `ignore`, `continue`. */
  readonly onFail?: 'fail' | 'ignore' | 'continue';
  readonly children?: readonly FlowNode[];
}

/** The answer to a flow's or chain's submit. */
export interface FlowAccepted {
  /** The flow's id: its root's callback id. */
  readonly flow: string;
  readonly nodes: number;
  /** Every node's id, root first, then breadth first (a chain: its last step first). */
  readonly ids: readonly string[];
  readonly statusUrl: string;
}

/** A flow's tree as GET /api/flows/<id> answers it. */
export interface FlowTree {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly waitingFor?: number;
  readonly onFail?: string;
  readonly children: readonly FlowTree[];
}

/** A batch as GET /api/batches/<id> answers it. */
export interface BatchState {
  readonly id: string;
  /** The callback job's status. */
  readonly status: string;
  readonly open: boolean;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly waiting: number;
  readonly value?: unknown;
  readonly error?: string;
}
