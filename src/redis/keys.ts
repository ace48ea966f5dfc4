import { randomBytes } from 'node:crypto';

/**
 * Every Redis key workmesh uses is built here (docs/protocol.md lists them).
 * All keys of one queue share the hash tag `{<queue>}`, and a callback id starts with its
 * queue name, so the id alone locates the job on a single Redis or on a Redis Cluster.
 */

/** A job type (and queue) name: safe inside a key, a URL and a hash tag. */
export const TYPE_NAME_RE = /^[a-z][a-z0-9_-]{0,47}$/;

/** A callback id: `<queue>.<16 base64url chars>` (96 random bits). */
export const JOB_ID_RE = /^([a-z][a-z0-9_-]{0,47})\.([A-Za-z0-9_-]{16})$/;

/** The consumer group every worker of a queue joins. */
export const GROUP = 'workers';

export function newJobId(queue: string): string {
  return `${queue}.${randomBytes(12).toString('base64url')}`;
}

/** The queue a callback id belongs to, or undefined for a malformed id. */
export function queueOfJobId(id: string): string | undefined {
  return JOB_ID_RE.exec(id)?.[1];
}

export class Keys {
  constructor(readonly prefix: string) {}

  /** Stream of the queue's pending work; each entry holds one field `id`. */
  stream(queue: string): string {
    return `${this.prefix}:{${queue}}:stream`;
  }

  /** Counters of the queue (accepted, done, failed). */
  stats(queue: string): string {
    return `${this.prefix}:{${queue}}:stats`;
  }

  /** The job record (a hash). The id must have been checked with JOB_ID_RE. */
  job(id: string): string {
    const queue = queueOfJobId(id);
    if (queue === undefined) throw new TypeError(`malformed job id ${JSON.stringify(id)}`);
    return `${this.prefix}:{${queue}}:job:${id}`;
  }
}

/** The key table of docs/protocol.md (generated from this list; a test checks it against Keys). */
export const KEY_DOCS = [
  {
    pattern: '<prefix>:{<queue>}:stream',
    type: 'stream',
    holds:
      'Work of the queue: one entry per job to run, with one field `id` (the callback id). Consumer group `workers`. Entries are deleted when their job is final.',
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
    holds: 'Counters since the queue was created: `accepted`, `done`, `failed`.',
    example: (k: Keys) => k.stats('permute'),
  },
] as const;
