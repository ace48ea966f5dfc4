import type { JobState, JobStatus } from '../job-schema/index.js';

/** What GET /api/jobs filters on (docs/api.md); every field optional. */
export interface JobsQuery {
  readonly type?: string;
  /** One status or several (any of them). `failed` jobs are the dead letters. */
  readonly status?: JobStatus | readonly JobStatus[];
  /** What since and until bound: the creation time (default) or the finish time. */
  readonly time?: 'created' | 'finished';
  /** A Date, milliseconds since the epoch, or an ISO 8601 text; inclusive. */
  readonly since?: Date | number | string;
  readonly until?: Date | number | string;
  /** An admin token's choice of tenant (other tokens always see their own). */
  readonly tenant?: string;
  /** Data fields that must equal these values: `{ 'user.id': 42 }`. */
  readonly data?: Readonly<Record<string, string | number | boolean>>;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
  /** Page size, 1..500 (default 50). */
  readonly limit?: number;
}

/** One page of GET /api/jobs: newest first; `cursor` is absent on the last page. */
export interface JobsPage {
  readonly jobs: readonly JobState[];
  readonly cursor?: string;
  readonly scanned: number;
}

export type JobAction = 'retry' | 'cancel' | 'delete';

/** The answer of POST /api/jobs/actions: each id acted on or skipped, with why. */
export interface JobActionAnswer {
  readonly action: JobAction;
  readonly acted: number;
  readonly skipped: number;
  readonly results: readonly {
    readonly id: string;
    readonly outcome: 'acted' | 'skipped';
    readonly reason?: string;
  }[];
}

function timeText(t: Date | number | string): string {
  return t instanceof Date ? t.toISOString() : String(t);
}

/** The query string of GET /api/jobs for a query ('' for none). */
export function jobsQueryString(query: JobsQuery): string {
  const params = new URLSearchParams();
  if (query.type !== undefined) params.set('type', query.type);
  if (query.status !== undefined) params.set('status', [query.status].flat().join(','));
  if (query.time !== undefined) params.set('time', query.time);
  if (query.since !== undefined) params.set('since', timeText(query.since));
  if (query.until !== undefined) params.set('until', timeText(query.until));
  if (query.tenant !== undefined) params.set('tenant', query.tenant);
  for (const [path, value] of Object.entries(query.data ?? {})) {
    params.set(`data.${path}`, String(value));
  }
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A time as people type it (the CLI, the shell): a duration back from now (`90s`, `15m`, `1h`,
 * `7d`), an ISO 8601 time, or milliseconds since the epoch; as ms since the epoch, or
 * undefined for anything else.
 */
export function pointInTime(text: string, now = Date.now()): number | undefined {
  const ago = /^(\d{1,9})([smhd])$/.exec(text);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
