import type { JobEvent, JobView } from '../job-schema/index.js';

/** The job record as stored in its hash (docs/protocol.md, "Job record"); its view is job-schema's. */

/** Every field of the job hash and what it holds (docs/protocol.md is generated from it). */
export const JOB_FIELDS = {
  type: 'Job type name (also the queue name).',
  data: 'Input, JSON.',
  status: '`accepted` (queued), `pending` (claimed by a worker), `done`, `failed` or `cancelled`.',
  value: 'Result, JSON; set when `done`.',
  error: 'Error message of the latest failed attempt; when `failed`, why it failed.',
  attempts:
    'Times a worker has started the job (incremented by `start`); also the fencing token of the current claim.',
  recoveries:
    "Attempts taken over before they reported an outcome (the worker died, froze or stalled past the node TTL or the claim timeout): counted by `requeue` and `start`, never against `maxAttempts`. Past the worker's `maxRecoveries` the job fails as poison. Absent: 0.",
  maxAttempts:
    'Handler attempts allowed (`attempts` - `recoveries`) before the job fails for good.',
  opts: 'Run options, JSON: `{"backoff": {"type": "exponential" | "fixed", "delayMs", "maxDelayMs"}, "timeoutMs", "parent", "children", "traceparent", "tracestate"}`; `traceparent` and `tracestate` (W3C Trace Context, as the HTTP headers carry them): the context of the submitting request, parent of each attempt\'s span; absent when it had none.',
  runAt: 'When a delayed job (retry backoff, `delayMs`, `runAt`) is due, ms since the epoch.',
  progress: 'Latest progress the handler reported (`ctx.progress`), JSON.',
  log: 'Lines the handler logged (`ctx.addLog`), JSON array of `{attempt, at, text}` (the last 100, of every attempt; written by `log`).',
  ev: 'Number of the latest event of the job (the SSE event id).',
  events:
    'The job\'s event log, JSON array of `{n, status, at, ...}` (the last 50): `accepted`, `pending`, `progress`, `done`, `failed`, `cancelled`. Absent while the log is implicit (see "The implicit event log"). Each change is also published on the queue\'s events channel.',
  webhook: 'URL the final status is POSTed to (`callbackUrl` on submit).',
  webhookAttempts: 'Delivery attempts of the webhook so far.',
  webhookStatus: '`delivered`, or `failed` (gave up; `webhookError` says why).',
  webhookError: 'Why the latest webhook delivery failed.',
  history:
    'Errors of the failed attempts, JSON array of `{attempt, error, at, worker}` (the last 20).',
  resultTtlSec: 'Seconds the record is kept once final.',
  createdAt: 'Enqueue time, ms since the epoch.',
  startedAt: 'Start of the latest attempt, ms since the epoch.',
  finishedAt: 'Time the job became final, ms since the epoch.',
  acceptedBy: 'Node id of the API process that accepted it.',
  workedBy: 'Node id (consumer name) of the worker holding or having run the latest attempt.',
  sid: 'Id of its entry in the queue stream (absent while it is in the waiting set of a gated queue).',
  priority: 'Priority, -10..10, higher runs first (absent: 0). See "Queue controls".',
  group: 'Group for per-group limits (a tenant, a customer, an API key). See "Queue controls".',
  gate: '`1` once admitted by `gate`: while `pending` it holds a concurrency slot, freed by the script that takes it out of `pending`.',
  scheduleId: 'Id of the schedule that fired the job (docs/schedules.md); absent otherwise.',
  scheduleTick: 'The tick it was fired for, ms since the epoch (Redis clock); with `scheduleId`.',
  parent:
    "A child of a flow: its parent's callback id. Its final state is put in its queue's outbox (`notify`) for the parent to count (docs/workflows.md).",
  onFail:
    'A child of a flow: what its failure (or cancel) does to its parent: `fail` (the parent fails and never runs), `ignore` (left out of its children) or `continue` (listed with its error).',
  children: "A parent in a flow: its children's callback ids, JSON array, in order of definition.",
  waiting:
    'A parent in a flow: children not yet counted. While set, the parent is `accepted` without a stream entry; the last child counted removes it and adds the entry. Absent once released or failed.',
  batch:
    "A batch's callback job: `open` (jobs may be added; it does not run even once all are final) or `closed`.",
  'child:<id>':
    'A parent in a flow: the outcome of child `<id>` once counted (once: HSETNX), JSON `{"status", "value"}` or `{"status", "error", "ignored"?}`; read by `ctx.children()`.',
} as const;

function isoOf(ms: string | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(Number(ms)).toISOString();
}

function parseJson(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * The log of a job without an `events` field (docs/protocol.md, "The implicit event log"):
 * its plain history, read off its fields, the way the scripts write it out (lib/events.lua).
 */
function implicitEvents(hash: Record<string, string>): JobEvent[] | undefined {
  const ev = Number(hash.ev ?? 0);
  if (ev < 1) return undefined;
  const events: JobEvent[] = [{ n: 1, status: 'accepted', at: Number(hash.createdAt ?? 0) }];
  if (ev >= 2) {
    events.push({
      n: 2,
      status: 'pending',
      at: Number(hash.startedAt ?? 0),
      attempt: Number(hash.attempts ?? 0),
      worker: hash.workedBy ?? '',
    });
  }
  if (ev >= 3) events.push({ n: 3, status: 'done', at: Number(hash.finishedAt ?? 0) });
  return events;
}

/** The API's view of a job hash (HGETALL), or undefined when the hash is empty (no such job). */
export function jobFromHash(id: string, hash: Record<string, string>): JobView | undefined {
  if (hash.status === undefined) return undefined;
  const view: Record<string, unknown> = {
    callback: id,
    type: hash.type,
    status: hash.status,
    data: parseJson(hash.data),
    value: parseJson(hash.value),
    error: hash.error,
    attempts: Number(hash.attempts ?? 0),
    recoveries: hash.recoveries === undefined ? undefined : Number(hash.recoveries),
    maxAttempts: Number(hash.maxAttempts ?? 1),
    runAt: isoOf(hash.runAt),
    progress: parseJson(hash.progress),
    events: hash.events === undefined ? implicitEvents(hash) : parseJson(hash.events),
    log: hash.log
      ? (JSON.parse(hash.log) as { attempt: number; at: number; text: string }[]).map((l) => ({
          attempt: l.attempt,
          at: new Date(l.at).toISOString(),
          text: l.text,
        }))
      : undefined,
    history: hash.history
      ? (
          JSON.parse(hash.history) as {
            attempt: number;
            error: string;
            at: number;
            worker: string;
          }[]
        ).map((h) => ({ ...h, at: new Date(h.at).toISOString() }))
      : undefined,
    resultTtlSec: Number(hash.resultTtlSec),
    createdAt: isoOf(hash.createdAt),
    startedAt: isoOf(hash.startedAt),
    finishedAt: isoOf(hash.finishedAt),
    acceptedBy: hash.acceptedBy,
    workedBy: hash.workedBy,
    webhookStatus: hash.webhookStatus,
    webhookAttempts: hash.webhookAttempts === undefined ? undefined : Number(hash.webhookAttempts),
    webhookError: hash.webhookError || undefined,
    scheduleId: hash.scheduleId,
    scheduleTick: isoOf(hash.scheduleTick),
  };
  for (const key of Object.keys(view)) if (view[key] === undefined) delete view[key];
  return view as unknown as JobView;
}
