/**
 * The messages between a worker and a sandboxed handler's thread (sandbox-thread.ts): a job to
 * run and its outcome, the handler context's calls that need the worker (progress, children,
 * previous), and log lines for the worker's logger.
 */
import type { JobSettings } from '../jobs/index.js';

/** workerData of a sandbox thread: which definition to load, and how to log. */
export interface ThreadSpec {
  /** The `--jobs` module that defines the type (a path or file URL). */
  readonly module: string;
  readonly type: string;
  /** For a module that exports a factory. */
  readonly settings: JobSettings;
  /** The worker's log level: lines below it are not even sent. */
  readonly level: string;
}

/** Why a handler failed, as the worker's retry rules read it (matched by name). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly retryAfterMs?: number;
  readonly scope?: string;
}

export type ToThread =
  | {
      readonly kind: 'run';
      readonly id: string;
      readonly attempt: number;
      readonly deadline: number | undefined;
      readonly data: unknown;
    }
  | {
      readonly kind: 'reply';
      readonly seq: number;
      readonly value?: unknown;
      readonly error?: ThreadError;
    }
  | { readonly kind: 'abort'; readonly message: string }
  | { readonly kind: 'close' };

export type CallMethod = 'progress' | 'addLog' | 'children' | 'previous';

export type FromThread =
  | { readonly kind: 'ready' }
  | { readonly kind: 'load-failed'; readonly error: ThreadError }
  | { readonly kind: 'done'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: ThreadError }
  | {
      readonly kind: 'call';
      readonly seq: number;
      readonly method: CallMethod;
      readonly arg?: unknown;
    }
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'closed' };

export function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error))
    return { name: 'Error', message: typeof err === 'string' ? err : String(err) };
  const { retryAfterMs, scope } = err as { retryAfterMs?: unknown; scope?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
    ...(typeof scope === 'string' ? { scope } : {}),
  };
}

/** The Error a ThreadError stands for: the same name and fields, so the worker's rules apply. */
export function fromThreadError(e: ThreadError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.retryAfterMs !== undefined) Object.assign(err, { retryAfterMs: e.retryAfterMs });
  if (e.scope !== undefined) Object.assign(err, { scope: e.scope });
  return err;
}
