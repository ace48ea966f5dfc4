import type { Redis } from 'ioredis';
import { runScript, type Keys } from '../redis/index.js';
import { JOB_STATE_FIELDS, type JobState, type JobStatus } from '../job-schema/index.js';
import { jobFromHash } from './job-record.js';
import { pruneDead } from './admin.js';

/**
 * GET /api/jobs: jobs found through the indexes the scripts keep (docs/protocol.md, "The jobs
 * index"), never by scanning the keyspace. Each queue has its own index (same hash tag, so on
 * a Redis Cluster it sits with its jobs); a listing reads every queue's index newest first and
 * merges them by (time, id), so the order is stable while jobs are added.
 */

/** Position in the merged order: the last job examined (score = ms, then id, both descending). */
export interface JobsCursor {
  readonly at: number;
  readonly id: string;
}

export interface DataFilter {
  /** The field's path in the job's data (`user.id` -> ['user', 'id']). */
  readonly path: readonly string[];
  readonly value: string;
}

export interface JobsQuery {
  readonly queues: readonly string[];
  /** Only jobs in one of these statuses (read from the job's record). */
  readonly statuses?: ReadonlySet<JobStatus>;
  /** Which time `since` and `until` bound; `finished` leaves out jobs not final. */
  readonly timeField: 'created' | 'finished';
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number;
  readonly until?: number;
  /** A check on the callback id alone (a tenant's ids); applied before anything is read. */
  readonly idFilter?: (id: string) => boolean;
  readonly data?: readonly DataFilter[];
  readonly cursor?: JobsCursor;
  readonly limit: number;
  /** Most index entries examined by one call; the page may then be short, with a cursor. */
  readonly scanMax: number;
}

export interface JobsPage {
  readonly jobs: JobState[];
  /** Where the next page starts; absent once the indexes are exhausted. */
  readonly cursor?: JobsCursor;
  /** Index entries examined (the cost of the call). */
  readonly scanned: number;
}

interface Entry {
  readonly queue: string;
  readonly id: string;
  readonly at: number;
}

/** Newest first: time, then id, both descending (as ZRANGE ... REV orders ties). */
function before(a: Entry | JobsCursor, b: Entry | JobsCursor): boolean {
  return a.at > b.at || (a.at === b.at && a.id > b.id);
}

/** One queue's index, read newest first from a position, a slice at a time. */
class IndexReader {
  private buffer: Entry[] = [];
  private exhausted = false;

  constructor(
    private readonly redis: Redis,
    readonly queue: string,
    private readonly key: string,
    private position: JobsCursor | undefined,
    private readonly min: number,
    private readonly max: number,
    private readonly slice: number,
  ) {}

  /** The next entry without taking it; undefined when the index has no more in range. */
  async peek(): Promise<Entry | undefined> {
    if (this.buffer.length === 0 && !this.exhausted) await this.fill();
    return this.buffer[0];
  }

  take(): Entry | undefined {
    const e = this.buffer.shift();
    if (e) this.position = e;
    return e;
  }

  private async fill(): Promise<void> {
    const top = this.position ? Math.min(this.position.at, this.max) : this.max;
    // Entries at the position's own time (a batch shares one `now`) come first in the reply
    // and are skipped until past the position's id.
    for (let offset = 0; ; offset += this.slice) {
      const reply = await this.redis.zrange(
        this.key,
        top === Infinity ? '+inf' : top,
        this.min === -Infinity ? '-inf' : this.min,
        'BYSCORE',
        'REV',
        'LIMIT',
        offset,
        this.slice,
        'WITHSCORES',
      );
      const entries: Entry[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        const e = { queue: this.queue, id: reply[i]!, at: Number(reply[i + 1]) };
        if (!this.position || before(this.position, e)) entries.push(e);
      }
      if (reply.length < this.slice * 2) this.exhausted = true;
      if (entries.length > 0 || this.exhausted) {
        this.buffer = entries;
        return;
      }
    }
  }
}

function dataMatches(data: unknown, filters: readonly DataFilter[]): boolean {
  return filters.every(({ path, value }) => {
    let v: unknown = data;
    for (const step of path) {
      if (typeof v !== 'object' || v === null || !Object.hasOwn(v, step)) return false;
      v = (v as Record<string, unknown>)[step];
    }
    if (typeof v === 'string') return v === value;
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v) === value;
    return false;
  });
}

/** A job's state as a list shows it: without its log (up to 100 lines), which its status has. */
const LIST_FIELDS = JOB_STATE_FIELDS.filter((f) => f !== 'log');
const READ_FIELDS = [...LIST_FIELDS, 'data'] as const;

/**
 * The records of one queue's candidates (HMGET, one pipeline: one slot); ids whose record is
 * gone are removed from the index the candidates came from.
 */
async function readRecords(
  redis: Redis,
  keys: Keys,
  queue: string,
  ids: readonly string[],
  withData: boolean,
  fromDead: boolean,
): Promise<Map<string, { state: JobState; data: unknown }>> {
  const fields = withData ? READ_FIELDS : LIST_FIELDS;
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.job(id), ...fields);
  const replies = (await pipeline.exec()) ?? [];
  const found = new Map<string, { state: JobState; data: unknown }>();
  const gone: string[] = [];
  ids.forEach((id, i) => {
    const values = (replies[i]?.[1] ?? []) as (string | null)[];
    const hash: Record<string, string> = {};
    fields.forEach((f, j) => {
      const v = values[j];
      if (v !== null && v !== undefined) hash[f] = v;
    });
    const view = jobFromHash(id, hash);
    if (!view) gone.push(id);
    else {
      const { data, events: _events, ...state } = view;
      found.set(id, { state, data });
    }
  });
  if (gone.length > 0) {
    await runScript(
      redis,
      fromDead ? 'prune-dead' : 'prune-index',
      [fromDead ? keys.dead(queue) : keys.created(queue), ...gone.map((id) => keys.job(id))],
      gone,
    );
  }
  return found;
}

function accepts(query: JobsQuery, state: JobState, data: unknown): boolean {
  if (query.statuses && !query.statuses.has(state.status)) return false;
  if (query.timeField === 'finished' && (query.since !== undefined || query.until !== undefined)) {
    if (state.finishedAt === undefined) return false;
    const at = Date.parse(state.finishedAt);
    if (query.since !== undefined && at < query.since) return false;
    if (query.until !== undefined && at > query.until) return false;
  }
  return query.data === undefined || dataMatches(data, query.data);
}

/**
 * Failed jobs by the time they failed come from the dead sets (score = finishedAt); anything
 * else from the jobs indexes (score = createdAt). A job finishes after it was created, so the
 * created index is read up to `until` when listing by finish time.
 */
function sourceOf(query: JobsQuery): 'dead' | 'created' {
  const onlyFailed = query.statuses?.size === 1 && query.statuses.has('failed');
  return onlyFailed && query.timeField === 'finished' ? 'dead' : 'created';
}

/** One page of jobs, newest first, from the cursor on (docs/api.md, GET /api/jobs). */
export async function listJobs(redis: Redis, keys: Keys, query: JobsQuery): Promise<JobsPage> {
  const source = sourceOf(query);
  const byCreation = source === 'created';
  const min = byCreation && query.timeField === 'finished' ? -Infinity : (query.since ?? -Infinity);
  const max = query.until ?? Infinity;
  const slice = Math.min(Math.max(query.limit + 1, 20), 500);
  if (!byCreation) await Promise.all(query.queues.map((q) => pruneDead(redis, keys, q)));
  const readers = query.queues.map(
    (q) =>
      new IndexReader(
        redis,
        q,
        byCreation ? keys.created(q) : keys.dead(q),
        query.cursor,
        min,
        max,
        slice,
      ),
  );
  const jobs: JobState[] = [];
  let scanned = 0;
  let last: Entry | undefined;
  while (jobs.length < query.limit && scanned < query.scanMax) {
    // The next candidates in merged order: up to what the page still needs.
    const batch: Entry[] = [];
    const want = Math.min(query.limit - jobs.length, query.scanMax - scanned);
    while (batch.length < want) {
      let best: IndexReader | undefined;
      let bestEntry: Entry | undefined;
      for (const r of readers) {
        const e = await r.peek();
        if (e && (!bestEntry || before(e, bestEntry))) [best, bestEntry] = [r, e];
      }
      if (!best) break;
      batch.push(best.take()!);
    }
    if (batch.length === 0) return { jobs, scanned };
    scanned += batch.length;
    last = batch[batch.length - 1];
    const wanted = query.idFilter ? batch.filter((e) => query.idFilter!(e.id)) : batch;
    const perQueue = new Map<string, string[]>();
    for (const e of wanted) perQueue.set(e.queue, [...(perQueue.get(e.queue) ?? []), e.id]);
    const records = new Map<string, { state: JobState; data: unknown }>();
    await Promise.all(
      [...perQueue].map(async ([queue, ids]) => {
        const found = await readRecords(redis, keys, queue, ids, !!query.data, !byCreation);
        for (const [id, r] of found) records.set(id, r);
      }),
    );
    for (const e of wanted) {
      const r = records.get(e.id);
      if (r && accepts(query, r.state, r.data)) jobs.push(r.state);
    }
  }
  // More may follow unless every index is exhausted.
  for (const r of readers) {
    if (await r.peek()) return { jobs, cursor: { at: last!.at, id: last!.id }, scanned };
  }
  return { jobs, scanned };
}

const TRIM_SLICE = 500;
/** Most slices the head pass removes in one trim (a million entries). */
const TRIM_HEAD_SLICES = 2000;

/** One slice of the index from a rank: the ids whose record is gone removed (prune-index.lua). */
async function trimSlice(
  redis: Redis,
  keys: Keys,
  queue: string,
  rank: number,
): Promise<{ size: number; removed: number }> {
  const ids = await redis.zrange(keys.created(queue), rank, rank + TRIM_SLICE - 1);
  if (ids.length === 0) return { size: 0, removed: 0 };
  const removed = (await runScript(
    redis,
    'prune-index',
    [keys.created(queue), ...ids.map((id) => keys.job(id))],
    ids,
  )) as number;
  return { size: ids.length, removed };
}

/**
 * Trims a queue's jobs index of ids whose record is gone, so that it stays bounded when nobody
 * lists. First the oldest end, where records expire first (a result TTL shared by most jobs),
 * for as long as its slices are mostly gone: the trim keeps up with any throughput. Then up to
 * `budget` entries from `from` (a rank: where the last trim stopped), so that expired entries
 * behind long-lived ones (a dead letter kept 7 days, a job delayed for a week) go too. Answers
 * the rank to go on from next time (0 once the end was reached) and how many were removed.
 */
export async function trimJobsIndex(
  redis: Redis,
  keys: Keys,
  queue: string,
  from: number,
  budget = 20_000,
): Promise<{ next: number; removed: number }> {
  let removed = 0;
  let rank = 0;
  for (let i = 0; i < TRIM_HEAD_SLICES; i++) {
    const slice = await trimSlice(redis, keys, queue, rank);
    removed += slice.removed;
    rank += slice.size - slice.removed;
    if (slice.size < TRIM_SLICE) return { next: 0, removed };
    if (slice.removed * 2 < slice.size) break;
  }
  rank = Math.max(rank, from);
  for (let seen = 0; seen < budget; seen += TRIM_SLICE) {
    const slice = await trimSlice(redis, keys, queue, rank);
    removed += slice.removed;
    rank += slice.size - slice.removed;
    if (slice.size < TRIM_SLICE) return { next: 0, removed };
  }
  return { next: rank, removed };
}

/** The text form of a cursor (opaque to clients), and back; undefined for a malformed one. */
export function encodeCursor(cursor: JobsCursor): string {
  return Buffer.from(`${cursor.at}:${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string): JobsCursor | undefined {
  const plain = Buffer.from(text, 'base64url').toString();
  const m = /^(-?\d{1,16}):([A-Za-z0-9_.~-]{1,128})$/.exec(plain);
  if (!m) return undefined;
  return { at: Number(m[1]), id: m[2]! };
}
