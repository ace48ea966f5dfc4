import { isFinalStatus, type JobEvent, type JobView } from '../job-schema/index.js';
import type { JobWatcher } from './job-watcher.js';

/** After a failed read (Redis away or slow), the job is read again after this, doubling. */
const READ_RETRY_MS = 250;
const READ_RETRY_MAX_MS = 5_000;

/** One event of a job's log as followers see it; the final one carries value or error. */
export type FollowedEvent = JobEvent & {
  readonly callback: string;
  readonly value?: unknown;
  readonly error?: unknown;
};

/** The job's record is gone (expired, or never was): the iteration ends. */
export interface JobGone {
  readonly callback: string;
  readonly status: 'gone';
  readonly gone: true;
}

export interface FollowOptions {
  /** Reads the job (a guarded getJob); undefined once it is gone. */
  readonly read: () => Promise<JobView | undefined>;
  /** Wakes the follower on the job's events; absent: the log is read once. */
  readonly watcher?: JobWatcher | undefined;
  /** Events numbered up to this one are skipped (Last-Event-ID). */
  readonly after?: number;
  /** Ends the iteration (the client went away, the caller stopped waiting). */
  readonly signal?: AbortSignal | undefined;
  /** Told of a failed read; the job is read again after a backoff. */
  readonly onReadError?: (err: unknown) => void;
}

/**
 * A job's events, in order, from its log (GET /api/events and the producer API's events()):
 * `accepted`, `pending`, `progress`..., then a final one, after which the iteration ends; a
 * `gone` item if the job's record expired or never was. Woken by the job watcher, never by
 * polling: watch first, then read, so an event between the two is not missed. A failed read
 * says nothing about the job: it is read again soon, never answered `gone`.
 */
export async function* followJob(
  id: string,
  options: FollowOptions,
): AsyncGenerator<FollowedEvent | JobGone, void, undefined> {
  const { read, watcher, signal } = options;
  let last = options.after ?? 0;
  let dirty = true;
  let wake: () => void = () => undefined;
  const woken = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (dirty || signal?.aborted) resolve();
    });
  const onEvent = (): void => {
    dirty = true;
    wake();
  };
  const unwatch = watcher?.watch(id, onEvent);
  signal?.addEventListener('abort', onEvent, { once: true });
  let retryMs = READ_RETRY_MS;
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        // Without a watcher nothing wakes this but the signal: the log was read once.
        if (!watcher && !signal) return;
        await woken();
        continue;
      }
      dirty = false;
      let job: JobView | undefined;
      try {
        job = await read();
      } catch (err) {
        options.onReadError?.(err);
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, retryMs);
          signal?.addEventListener('abort', done, { once: true });
        });
        retryMs = Math.min(retryMs * 2, READ_RETRY_MAX_MS);
        dirty = true;
        continue;
      }
      retryMs = READ_RETRY_MS;
      if (!job) {
        yield { callback: id, status: 'gone', gone: true };
        return;
      }
      for (const event of job.events ?? []) {
        if (event.n <= last || signal?.aborted) continue;
        const final = isFinalStatus(event.status) && event.status === job.status;
        last = event.n;
        yield final
          ? { callback: id, ...event, value: job.value, error: job.error }
          : { callback: id, ...event };
      }
      if (isFinalStatus(job.status)) return;
    }
  } finally {
    unwatch?.();
    signal?.removeEventListener('abort', onEvent);
  }
}
