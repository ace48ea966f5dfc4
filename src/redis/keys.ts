import { randomBytes } from 'node:crypto';

/**
 * Every Redis key workmesh uses is built here (docs/protocol.md lists them).
 * All keys of one queue share the hash tag `{<queue>}`, and a callback id starts with its
 * queue name, so the id alone locates the job on a single Redis or on a Redis Cluster.
 */

/** A job type (and queue) name: safe inside a key, a URL and a hash tag. */
export const TYPE_NAME_RE = /^[a-z][a-z0-9_-]{0,47}$/;

/**
 * A callback id: `<queue>.<16 base64url chars>` (96 random bits). The queue is the job type,
 * or `<type>~<partition>` for a type split over several partitions.
 */
export const JOB_ID_RE = /^([a-z][a-z0-9_-]{0,47}(?:~[0-9]{1,2})?)\.([A-Za-z0-9_-]{16})$/;

/** Most partitions a job type may have. */
export const MAX_PARTITIONS = 64;

/**
 * The queues of a job type: the type itself, or `<type>~0` .. `<type>~<n-1>` when it has n > 1
 * partitions. Each queue has its own hash tag, so on a Redis Cluster each lands on the master
 * that owns its slot: one hot type is spread over several masters.
 */
export function queuesOfType(type: string, partitions = 1): string[] {
  if (partitions <= 1) return [type];
  return Array.from({ length: partitions }, (_, p) => `${type}~${p}`);
}

/** The job type a queue belongs to (the queue name without its `~<partition>`). */
export function typeOfQueue(queue: string): string {
  const tilde = queue.indexOf('~');
  return tilde < 0 ? queue : queue.slice(0, tilde);
}

/** The consumer group every worker of a queue joins. */
export const GROUP = 'workers';

// Random bytes drawn from the CSPRNG in blocks: one system call per 341 ids, not one per id.
const ID_BYTES = 12;
let pool = Buffer.alloc(0);
let poolAt = 0;

export function newJobId(queue: string): string {
  if (poolAt + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * 341);
    poolAt = 0;
  }
  poolAt += ID_BYTES;
  return `${queue}.${pool.toString('base64url', poolAt - ID_BYTES, poolAt)}`;
}

/** The queue a callback id belongs to, or undefined for a malformed id. */
export function queueOfJobId(id: string): string | undefined {
  return JOB_ID_RE.exec(id)?.[1];
}

/** The job type of a well-formed callback id (its queue without a partition), else undefined. */
export function typeOfJobId(id: string): string | undefined {
  const queue = queueOfJobId(id);
  return queue === undefined ? undefined : typeOfQueue(queue);
}

export class Keys {
  constructor(readonly prefix: string) {}

  /** Stream of the queue's pending work; each entry holds one field `id`. */
  stream(queue: string): string {
    return `${this.prefix}:{${queue}}:stream`;
  }

  /** Counters of the queue (accepted, done, retried, failed, cancelled). */
  stats(queue: string): string {
    return `${this.prefix}:{${queue}}:stats`;
  }

  /** Sorted set: callback id -> when it is due (retry backoff, delayMs, runAt). */
  delayed(queue: string): string {
    return `${this.prefix}:{${queue}}:delayed`;
  }

  /** Sorted set: callback id -> when it failed for good (the dead letters). */
  dead(queue: string): string {
    return `${this.prefix}:{${queue}}:dead`;
  }

  /**
   * Sorted set: callback id -> createdAt (ms): the queue's jobs index, read by GET /api/jobs.
   * Written by the scripts that create jobs (enqueue, flow-stage); ids whose record expired are
   * dropped when read and by the workers' trim.
   */
  created(queue: string): string {
    return `${this.prefix}:{${queue}}:created`;
  }

  /**
   * Sorted set: callback id -> when to (re)try delivering its webhook. The scripts that make a
   * job final take it as their last key; the webhook dispatcher reads it directly.
   */
  webhooks(queue: string): string {
    return `${this.prefix}:{${queue}}:webhooks`;
  }

  /**
   * Sorted set: callback id -> when it became final, for the final jobs of this queue that are
   * children of a flow and whose parent has not yet counted them (the flow outbox; see
   * docs/workflows.md). Written by final() in the same script that makes the job final.
   */
  notify(queue: string): string {
    return `${this.prefix}:{${queue}}:notify`;
  }

  /** The two keys the scripts that make a job final take last: webhooks, notify. */
  finalKeys(queue: string): [string, string] {
    return [this.webhooks(queue), this.notify(queue)];
  }

  /**
   * Hash: tenant ('' without tokens) -> `<callback id> <fingerprint>` of the job an
   * idempotency key named first (idempotency.lua). Tagged by job type, not queue: the same
   * key finds its job whatever the type's partition count is now.
   */
  idempotency(type: string, keyDigest: string): string {
    return `${this.prefix}:{${type}}:idem:${keyDigest}`;
  }

  /**
   * String: `<callback id> <reserved at, ms>` of the job that holds a deduplication window
   * (dedupe.lua). Tagged by queue (chosen from the dedupe key), so the script reaches the job.
   */
  dedupe(queue: string, keyDigest: string): string {
    return `${this.prefix}:{${queue}}:dedupe:${keyDigest}`;
  }

  // Queue controls (docs/protocol.md, "Queue controls"): only a gated queue uses the keys
  // below but `controls`, which every claim and enqueue reads once per call.

  /**
   * Hash: the queue's controls (`paused`, `rateMax` + `ratePerMs`, `concurrency`,
   * `groupRateMax` + `groupRatePerMs`, `groupConcurrency`, `holdUntil`, `gated`) and the
   * counters of the waiting set (`seq`, `lseq`).
   */
  controls(queue: string): string {
    return `${this.prefix}:{${queue}}:controls`;
  }

  /** Sorted set: callback id -> (10 - priority) * 2^40 + seq: jobs of a gated queue not admitted yet. */
  waiting(queue: string): string {
    return `${this.prefix}:{${queue}}:waiting`;
  }

  /** Sorted set: callback id -> when admitted: jobs of a gated queue holding a slot. */
  active(queue: string): string {
    return `${this.prefix}:{${queue}}:active`;
  }

  /** Sorted set: `<id>@<ms>` -> start time: the starts in the queue's rate window. */
  starts(queue: string): string {
    return `${this.prefix}:{${queue}}:starts`;
  }

  /** Sorted set: group -> when to look again: the groups with jobs parked over their limit. */
  parked(queue: string): string {
    return `${this.prefix}:{${queue}}:parked`;
  }

  /** Stream (MAXLEN ~ 10): an entry wakes the workers held back by a control. */
  signal(queue: string): string {
    return `${this.prefix}:{${queue}}:signal`;
  }

  /** Sorted set: callback id -> when admitted: the jobs of one group holding a slot. */
  groupActive(queue: string, group: string): string {
    return `${this.prefix}:{${queue}}:g:${group}:active`;
  }

  /** Sorted set: `<id>@<ms>` -> start time: the starts in one group's rate window. */
  groupStarts(queue: string, group: string): string {
    return `${this.prefix}:{${queue}}:g:${group}:starts`;
  }

  /** Sorted set: callback id -> its waiting score: jobs of one group parked over its limit. */
  groupParked(queue: string, group: string): string {
    return `${this.prefix}:{${queue}}:g:${group}:parked`;
  }

  /** String: a group held back by a handler (expires with the hold). */
  groupHold(queue: string, group: string): string {
    return `${this.prefix}:{${queue}}:g:${group}:hold`;
  }

  /** Hash: one schedule of the queue, its definition and its firing state (docs/schedules.md). */
  schedule(queue: string, id: string): string {
    return `${this.prefix}:{${queue}}:schedule:${id}`;
  }

  /** Set: the ids of the queue's schedules. */
  schedules(queue: string): string {
    return `${this.prefix}:{${queue}}:schedules`;
  }

  /** Sorted set: schedule id -> its next tick (ms, Redis clock); only active schedules. */
  scheduleTicks(queue: string): string {
    return `${this.prefix}:{${queue}}:ticks`;
  }

  /**
   * Hash: schedule id -> the queue that holds it. No hash tag: read on its own, by every
   * process's scheduler loop (which queues to look at) and to find a schedule by id.
   */
  scheduleIndex(): string {
    return `${this.prefix}:schedules:index`;
  }

  /** The four keys every queue script takes first: stream, stats, delayed, dead. */
  queue(queue: string): [string, string, string, string] {
    return [this.stream(queue), this.stats(queue), this.delayed(queue), this.dead(queue)];
  }

  /** The job record (a hash). The id must have been checked with JOB_ID_RE. */
  job(id: string): string {
    const queue = queueOfJobId(id);
    if (queue === undefined) throw new TypeError(`malformed job id ${JSON.stringify(id)}`);
    return `${this.prefix}:{${queue}}:job:${id}`;
  }

  /**
   * Hash: per-minute figures of a job type for 5 minutes (block = minutes since the epoch / 5),
   * added to by every process in one MULTI of HINCRBYs per type and flush (src/history/).
   * Tagged by type: one flush of a type touches one slot.
   */
  history(type: string, block: number): string {
    return `${this.prefix}:{${type}}:history:${block}`;
  }

  /**
   * String: requests of one client in the current rate-limit window (rate-limit.lua). bucket
   * is `t:<token id>` or `a:<client address>`. No hash tag: each call touches this key alone,
   * so on a Redis Cluster the clients' counters spread over the masters.
   */
  rateLimit(bucket: string): string {
    return `${this.prefix}:ratelimit:${bucket}`;
  }

  // The cluster registry: its own slot, `{_cluster}` (no queue name starts with `_`).

  /** Sorted set: node id -> deadline of its heartbeat (ms, Redis clock). */
  members(): string {
    return `${this.prefix}:{_cluster}:members`;
  }

  /** Hash: node id -> the node's info and live figures (JSON), as of its last heartbeat. */
  nodeInfo(): string {
    return `${this.prefix}:{_cluster}:info`;
  }

  /** String: Redis time (ms) of the latest heartbeat of any node. */
  beat(): string {
    return `${this.prefix}:{_cluster}:beat`;
  }

  /** String: Redis time (ms) the cluster was heard again after a silence of a TTL or more. */
  resumed(): string {
    return `${this.prefix}:{_cluster}:resumed`;
  }

  /** The registry keys, in the order heartbeat.lua and reap.lua take them. */
  registry(): [string, string, string, string] {
    return [this.members(), this.nodeInfo(), this.beat(), this.resumed()];
  }

  /** Pub/sub channel of membership events (joined, updated, left). */
  eventsChannel(): string {
    return `${this.prefix}:cluster:events`;
  }

  /** Pub/sub channel a node listens on for messages and calls addressed to it. */
  nodeChannel(nodeId: string): string {
    return `${this.prefix}:cluster:node:${nodeId}`;
  }

  /** Pub/sub channel every node listens on. */
  broadcastChannel(): string {
    return `${this.prefix}:cluster:broadcast`;
  }
}

/** The key table of docs/protocol.md (generated from this list; a test checks it against Keys). */
export const KEY_DOCS = [
  {
    pattern: '<prefix>:{<queue>}:stream',
    type: 'stream',
    holds:
      'Work of the queue: one entry per job to run, its first field `id` (the callback id). The entry `enqueue` adds for a plain job due now also carries `d` (its data) and `o` (its run options), copies of the record\'s, when the two are at most 512 bytes together (see "Carried entries"). Consumer group `workers`. Entries are deleted when their job is final.',
    example: (k: Keys) => k.stream('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:job:<id>',
    type: 'hash',
    holds:
      'The job record (fields below). No expiry while queued or running; `resultTtlSec` once final.',
    example: (k: Keys) => k.job('permute.AAAAAAAAAAAAAAAA'),
  },
  {
    pattern: '<prefix>:{<queue>}:stats',
    type: 'hash',
    holds:
      'Counters since the queue was created: `accepted`, `done`, `retried`, `failed`, `cancelled`. Also `trimAt`: Redis time (ms) the current turn to trim the jobs index ends (`trim-turn`: one worker a second trims it).',
    example: (k: Keys) => k.stats('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:delayed',
    type: 'zset',
    holds:
      'Jobs not due yet (retry backoff, `delayMs`, `runAt`): member = callback id, score = due time (ms). `promote` moves them to the stream.',
    example: (k: Keys) => k.delayed('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:dead',
    type: 'zset',
    holds:
      'Dead letters (jobs failed for good): member = callback id, score = when it failed (ms). Retried with `revive`, purged with `bury`. Ids whose record expired (`deadTtlSec`) are pruned with `prune-dead`: by every worker once a minute, and before the set is counted, listed or retried.',
    example: (k: Keys) => k.dead('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:created',
    type: 'zset',
    holds:
      "The jobs index (`GET /api/jobs`): member = callback id, score = `createdAt` (ms). One entry per job created by `enqueue` (one ZADD per call) or `flow-stage`. Entries whose record is gone are dropped when a listing reads them and by the workers' trim (`prune-index`: a slice or two a second, by the worker whose turn it is, `trim-turn`). Jobs created before the index was added have no entry and are not listed (they still answer on their own routes).",
    example: (k: Keys) => k.created('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:webhooks',
    type: 'zset',
    holds:
      "Webhooks to deliver: member = callback id of a final job with a `webhook`, score = when to (re)try (ms). Written by the scripts that make a job final (passed as their last key), read by the API processes' dispatcher.",
    example: (k: Keys) => k.webhooks('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:controls',
    type: 'hash',
    holds:
      'Queue controls (absent field = off): `paused` ("1"), `rateMax` + `ratePerMs` (at most rateMax starts in any ratePerMs window, sliding), `concurrency` (running at once, cluster-wide), `groupRateMax` + `groupRatePerMs` and `groupConcurrency` (the same per group), `holdUntil` (ms: held back by a handler), `gated` ("1": claims go through `gate`, see "Queue controls"); counters `seq`, `lseq` of the waiting set; `limits` (JSON `{limits, by}`: the type\'s limits as set, before the split over partitions, and who set them, `definition` or `api`; written by the queue routes, the CLI, the console and a definition\'s `limits` at start, ignored by the scripts). `gated` is read once per `start` call, and by `claim` and `enqueue` when their caller asks (at most every 250 ms while the queue is open).',
    example: (k: Keys) => k.controls('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:waiting',
    type: 'zset',
    holds:
      'Jobs of a gated queue (or with a priority or a group) accepted and due but not admitted yet: member = callback id, score = `(10 - priority) * 2^40 + seq` (`ZRANGE 0 n` is the claim order; entries moved from the stream get `seq - 2^39`, ahead of their priority).',
    example: (k: Keys) => k.waiting('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:active',
    type: 'zset',
    holds:
      'Jobs admitted by `gate` and still `pending` (each holds a concurrency slot): member = callback id, score = when admitted (ms). Freed by the script that takes the job out of `pending`.',
    example: (k: Keys) => k.active('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:starts',
    type: 'zset',
    holds:
      'Starts in the rate window (only with `rateMax`): member = `<callback id>@<ms>`, score = start time (ms, Redis clock); older than `ratePerMs` are trimmed.',
    example: (k: Keys) => k.starts('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:parked',
    type: 'zset',
    holds:
      'Groups with jobs parked over their own limit: member = group, score = when `gate` looks at it again (ms; 0 when one of its slots freed).',
    example: (k: Keys) => k.parked('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:signal',
    type: 'stream',
    holds:
      'Wake-ups of the workers held back by a control (`MAXLEN ~ 10`, entries `w 1`): added on resume and limit changes, when a slot frees, and when jobs enter the waiting set.',
    example: (k: Keys) => k.signal('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:g:<group>:active',
    type: 'zset',
    holds: 'Like `active`, the jobs of one group (member = callback id, score = when admitted).',
    example: (k: Keys) => k.groupActive('permute', 'acme'),
  },
  {
    pattern: '<prefix>:{<queue>}:g:<group>:starts',
    type: 'zset',
    holds:
      "Like `starts`, for one group's rate window (`groupRateMax` per `groupRatePerMs`); expires with the window.",
    example: (k: Keys) => k.groupStarts('permute', 'acme'),
  },
  {
    pattern: '<prefix>:{<queue>}:g:<group>:parked',
    type: 'zset',
    holds:
      'Jobs of one group parked over its limit: member = callback id, score = its waiting score. Moved back to `waiting` as the group gets room.',
    example: (k: Keys) => k.groupParked('permute', 'acme'),
  },
  {
    pattern: '<prefix>:{<queue>}:g:<group>:hold',
    type: 'string',
    holds:
      "A group held back by a handler's `RetryAfterError` (scope `group`): value = until when (ms); expires then.",
    example: (k: Keys) => k.groupHold('permute', 'acme'),
  },
  {
    pattern: '<prefix>:{<queue>}:notify',
    type: 'zset',
    holds:
      "Flow outbox: member = callback id of a final job that is a child in a flow (has a `parent`), score = when it became final (ms). Written by the script that makes it final; removed once its parent's queue has counted it (`flow-count`). Entries older than a few seconds are redelivered by the workers (docs/workflows.md).",
    example: (k: Keys) => k.notify('permute'),
  },
  {
    pattern: '<prefix>:{<type>}:idem:<digest>',
    type: 'hash',
    holds:
      "An idempotency key (digest: SHA-256 of the key, base64url, 22 chars): field = tenant (empty without tokens), value = `<callback id> <fingerprint of type and data>` of the job it named first. Expires 24 h after its first use (plus the job's delay).",
    example: (k: Keys) => k.idempotency('permute', 'n4bQgYhMfWWaL-qgxVrQFa'),
  },
  {
    pattern: '<prefix>:{<queue>}:dedupe:<digest>',
    type: 'string',
    holds:
      "A deduplication window (a job's `dedupe`): `<callback id> <reserved at, ms>` of the job that holds it; digest: SHA-256 of the tenant and the dedupe key, base64url, 22 chars; the queue is the type's partition chosen from the dedupe key. Expires with the window (throttle: `ttlSec` after the first job; debounce: when its job is due, plus 10 s).",
    example: (k: Keys) => k.dedupe('permute', 'n4bQgYhMfWWaL-qgxVrQFa'),
  },
  {
    pattern: '<prefix>:{<queue>}:schedule:<schedule>',
    type: 'hash',
    holds:
      'A schedule (docs/schedules.md): `def` (the definition, JSON), `rev` (incremented by every change), `paused` (1/0), `lastTick` (the latest tick handled, never fired again), `lastJob`, `count` (jobs fired), `missed`, `skipped`, `lagMs`, `runs` (JSON, the last 10), `createdAt`, `updatedAt`. Written by `schedule-save` and `schedule-fire`.',
    example: (k: Keys) => k.schedule('permute', 'nightly'),
  },
  {
    pattern: '<prefix>:{<queue>}:schedules',
    type: 'set',
    holds: 'Ids of the schedules whose jobs go to this queue.',
    example: (k: Keys) => k.schedules('permute'),
  },
  {
    pattern: '<prefix>:{<queue>}:ticks',
    type: 'zset',
    holds:
      'Active schedules of the queue: member = schedule id, score = its next tick (ms, Redis clock). A paused or ended schedule has none. `schedule-fire` fires a tick only while it is this score (compare-and-set).',
    example: (k: Keys) => k.scheduleTicks('permute'),
  },
  {
    pattern: '<prefix>:schedules:index',
    type: 'hash',
    holds:
      "Every schedule: field = schedule id, value = the queue holding it. Each process's scheduler loop reads it for the queues to look at; the API finds a schedule by id with it.",
    example: (k: Keys) => k.scheduleIndex(),
  },
  {
    pattern: '<prefix>:{<type>}:history:<block>',
    type: 'hash',
    holds:
      "Metrics history of a job type for 5 minutes (`block` = minutes since the epoch / 5, rounded down): field `<minute 0-4 of the block><figure>` = a count, added to with HINCRBY by every API and worker process once per flush (`WORKMESH_HISTORY_FLUSH_MS`). Figures: `a` accepted, `d` done, `f` failed for good, `w<b>` and `r<b>` the jobs whose wait (entry in the stream → start) and attempts whose run time fell in log-scale bucket `b` (0: < 1 ms; b ≥ 1: [2^((b-1)/4), 2^(b/4)) ms). E.g. `3w41` = 12: twelve jobs started in the block's 4th minute after waiting 1,024 to 1,218 ms. Expires 14 days after its 5 minutes end (EXPIREAT).",
    example: (k: Keys) => k.history('permute', 5_880_000),
  },
  {
    pattern: '<prefix>:ratelimit:<bucket>',
    type: 'string',
    holds:
      'Requests of one client in the current window of the HTTP rate limit (`WORKMESH_RATE_LIMIT`), shared by every API process: bucket = `t:<token id>` for a valid bearer token, else `a:<client address>`. Expires with its window (60 s). Only with a rate limit set.',
    example: (k: Keys) => k.rateLimit('a:127.0.0.1'),
  },
  {
    pattern: '<prefix>:{_cluster}:members',
    type: 'zset',
    holds:
      'Live nodes: member = node id, score = when its heartbeat lapses (ms since the epoch, Redis clock). Nodes past their score are declared gone.',
    example: (k: Keys) => k.members(),
  },
  {
    pattern: '<prefix>:{_cluster}:info',
    type: 'hash',
    holds:
      "Field = node id, value = the node's info and live figures as JSON (see Cluster). Removed with the node.",
    example: (k: Keys) => k.nodeInfo(),
  },
  {
    pattern: '<prefix>:{_cluster}:beat',
    type: 'string',
    holds: 'Redis time (ms) of the latest heartbeat of any node.',
    example: (k: Keys) => k.beat(),
  },
  {
    pattern: '<prefix>:{_cluster}:resumed',
    type: 'string',
    holds:
      'Redis time (ms) the cluster was heard again after a silence of a TTL or more (Redis away or restarted); nobody is declared gone within a TTL of it.',
    example: (k: Keys) => k.resumed(),
  },
] as const;

/** Pub/sub channels (not keys: they live outside the keyspace and any slot). */
export const CHANNEL_DOCS = [
  {
    pattern: '<prefix>:{<queue>}:events',
    holds:
      'Job events of the queue, published by the scripts: a JSON array of `[id, n, status]`, one per job changed by that script call.',
  },
  { pattern: '<prefix>:cluster:events', holds: 'Membership events: `joined`, `updated`, `left`.' },
  {
    pattern: '<prefix>:cluster:node:<id>',
    holds: 'Messages and calls to one node, and replies to its calls.',
  },
  { pattern: '<prefix>:cluster:broadcast', holds: 'Messages to every node.' },
] as const;
