/** How a job is retried and bounded: stored with the job (field `opts`), read by the worker. */
export interface Backoff {
  readonly type: 'exponential' | 'fixed';
  /** Delay before the first retry (exponential: doubled at each further attempt). */
  readonly delayMs: number;
  /** Cap of an exponential delay (default 1 h). */
  readonly maxDelayMs?: number;
}

export interface JobOptions {
  readonly backoff?: Backoff;
  /** A run longer than this is aborted (its AbortSignal fires) and counts as a failed attempt. */
  readonly timeoutMs?: number;
  /**
   * Set on a child of a flow: its parent's callback id. The worker then hands the child's
   * final outcome to the parent's queue right after finishing it (src/flow/).
   */
  readonly parent?: string;
  /** Set on a parent of a flow: it has children whose outcomes ctx.children() reads. */
  readonly children?: number;
  /**
   * The W3C Trace Context of the submitting request (its `traceparent` header, or the active
   * span of an in-process submit), when it had one: each attempt's span is its child.
   */
  readonly traceparent?: string;
  /** Its `tracestate`, when it had one besides the traceparent. */
  readonly tracestate?: string;
}

const HOUR_MS = 3_600_000;

/**
 * When to retry after a failed attempt (1-based). Exponential backoff with "equal jitter":
 * between half and all of the doubled delay, so retries of many jobs that failed together
 * spread out instead of hitting the same dependency at once.
 */
export function retryDelayMs(backoff: Backoff, attempt: number, random = Math.random): number {
  if (backoff.type === 'fixed') return backoff.delayMs;
  const full = Math.min(
    backoff.maxDelayMs ?? HOUR_MS,
    backoff.delayMs * 2 ** Math.max(0, attempt - 1),
  );
  return Math.round(full / 2 + random() * (full / 2));
}
