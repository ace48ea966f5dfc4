import { WorkmeshError } from '../errors/index.js';
// The statuses alone, not the job-schema entry: that one brings TypeBox into browser bundles.
// eslint-disable-next-line no-restricted-imports
import { isFinalStatus } from '../job-schema/statuses.js';
import { errorOf, pause, send, type CallScope, type HttpSettings } from './http.js';
import { readEventStream, type JobEventMessage } from './sse.js';

export interface EventsOptions {
  /** Start after this event number (what a reconnect sends as Last-Event-ID). */
  readonly lastEventId?: number;
  /** Stops following: the iteration then throws WM_ERR_CLIENT_ABORTED. */
  readonly signal?: AbortSignal;
  /** A deadline for the whole stream (default none: it ends with the job's final event). */
  readonly timeoutMs?: number;
  /** Reconnects in a row that may fail before the stream gives up (default 10). */
  readonly reconnects?: number;
  /**
   * A connection silent this long is dropped and opened again (default 45 s: the API sends a
   * keep-alive comment every 15 s, so only a dead connection stays silent).
   */
  readonly idleMs?: number;
}

/** Backoff between reconnects: the server's `retry:` (or the client's retry delay), doubling. */
const MAX_RECONNECT_DELAY_MS = 10_000;

/**
 * Follows GET /api/events/<id>: yields each event once, in order, and ends after the final one.
 * A dropped, cut or silent connection is opened again after a backoff, with Last-Event-ID set
 * to the last event seen, so the API sends exactly the events missed. A 404 (no such job) and
 * other 4xx answers throw at once; the caller's abort and the deadline throw theirs.
 */
export async function* followEvents(
  settings: HttpSettings,
  scope: CallScope,
  id: string,
  options: EventsOptions,
): AsyncGenerator<JobEventMessage> {
  const path = `/api/events/${encodeURIComponent(id)}`;
  const what = `GET ${path}`;
  const maxFailures = options.reconnects ?? 10;
  const idleMs = options.idleMs ?? 45_000;
  let last = options.lastEventId ?? 0;
  let retryMs = settings.retryDelayMs;
  let failures = 0;
  let cause: unknown;
  for (;;) {
    const connection = new AbortController();
    const part = scope.within(connection.signal);
    let idle = setTimeout(() => connection.abort(), idleMs);
    const alive = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), idleMs);
    };
    let seen = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last > 0) headers['last-event-id'] = String(last);
      const response = await send(
        settings,
        part,
        { method: 'GET', path, headers },
        settings.retries,
      );
      if (!response.ok || !response.body) {
        const error = await errorOf(response, part, what);
        // 4xx is an answer (not found, not allowed); 5xx a failure worth another connection.
        if (response.status < 500) throw error;
        cause = error;
      } else {
        for await (const message of readEventStream(response.body, (ms) => (retryMs = ms), alive)) {
          if (message.data === '') continue;
          const event = JSON.parse(message.data) as JobEventMessage;
          if (typeof event.n !== 'number') continue; // `gone`: the next connection says 404
          if (event.n <= last) continue;
          last = event.n;
          seen = true;
          failures = 0;
          yield event;
          if (isFinalStatus(event.status)) return;
        }
        cause = new Error('the stream ended before the final event');
      }
    } catch (err) {
      if (scope.ended) throw scope.error(what);
      if (err instanceof WorkmeshError && err.code !== 'WM_ERR_CLIENT_HTTP') throw err;
      cause = err;
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
    if (!seen) failures += 1;
    if (failures > maxFailures) {
      throw new WorkmeshError(
        'WM_ERR_CLIENT_HTTP',
        `event stream of ${id}: ${failures} reconnects in a row failed`,
        { cause },
      );
    }
    const delay = Math.min(retryMs * 2 ** Math.max(0, failures - 1), MAX_RECONNECT_DELAY_MS);
    try {
      await pause(delay * (0.5 + Math.random() / 2), scope.signal);
    } catch {
      throw scope.error(what);
    }
  }
}
