import { createHash, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ownedBy, tenantJobId } from '../auth/index.js';
import { WorkmeshError } from '../errors/index.js';
import { JOB_ID_RE, newJobId, queueOfJobId, runScript, type Keys } from '../redis/index.js';
import { mintRetryKey, mintedValue } from '../http/index.js';

/** How long an idempotency key is remembered after its first use (plus the job's delay). */
export const IDEMPOTENCY_TTL_SEC = 24 * 3600;

export interface JobIdChoice {
  /** The callback id to enqueue under. */
  readonly id: string;
  /** The key that makes resending this request safe (retry-key.ts). */
  readonly retryKey: string;
  /** The data were compared with the key's first use already (its recorded fingerprint). */
  readonly compared: boolean;
}

export function digest(text: string, chars: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, chars);
}

/** Type and data of a keyed request: the same key with another fingerprint is refused. */
export function jobFingerprint(type: string, data: unknown): string {
  return digest(`${type}\0${JSON.stringify(data)}`, 22);
}

/**
 * The queue a new job goes to: its type's only queue, or one of its partitions: at random,
 * or chosen by the idempotency key.
 */
export function queueFor(queues: readonly string[], key: string | undefined): string {
  if (queues.length === 1) return queues[0]!;
  const pick =
    key === undefined
      ? randomInt(queues.length)
      : createHash('sha256').update(key).digest().readUInt32BE(0) % queues.length;
  return queues[pick]!;
}

/**
 * The id a keyed job gets when its key is new: bound to its tenant when tokens are in use,
 * and derived from the key, so that even with its record expired the key finds its job while
 * the deployment stays the same.
 */
function keyedId(queue: string, key: string, tenant: string | undefined): string {
  if (tenant !== undefined) return tenantJobId(queue, tenant, key);
  return `${queue}.${digest(key, 16)}`;
}

/** Where a key's record is kept, and the guard every Redis call of a submission goes through. */
export interface IdStore {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly guard: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface JobRequest {
  readonly type: string;
  readonly queues: readonly string[];
  readonly data: unknown;
  readonly key: string | undefined;
  readonly tenant: string | undefined;
  readonly runAt: number;
}

/**
 * The callback id of a submitted job, fixed before anything is written:
 * - no key: a fresh id, and a minted key (`wm1.<id>`) that makes a resend name it again;
 * - a minted key (a resend after a 5xx): the id it names;
 * - a client's key: the job the key named first (idempotency.lua), whatever the partition
 *   count or tokens are now; 422 when that was another type or other data.
 */
export async function chooseJobId(store: IdStore, req: JobRequest): Promise<JobIdChoice> {
  const { key, tenant, queues } = req;
  if (key === undefined) {
    const queue = queueFor(queues, undefined);
    const id = tenant === undefined ? newJobId(queue) : tenantJobId(queue, tenant);
    return { id, retryKey: mintRetryKey(id), compared: false };
  }
  const minted = mintedValue(key);
  if (minted !== undefined) {
    const queue = JOB_ID_RE.test(minted) ? queueOfJobId(minted) : undefined;
    if (
      queue === undefined ||
      !queues.includes(queue) ||
      (tenant !== undefined && !ownedBy(minted, tenant))
    ) {
      throw new WorkmeshError(
        'WM_ERR_API_BAD_REQUEST',
        `Idempotency-Key ${JSON.stringify(key.slice(0, 80))} was not made by this API for a job of type ${req.type}`,
      );
    }
    return { id: minted, retryKey: key, compared: false };
  }
  const candidate = keyedId(queueFor(queues, key), key, tenant);
  const fingerprint = jobFingerprint(req.type, req.data);
  const recordKey = store.keys.idempotency(req.type, digest(key, 22));
  const ttlSec = IDEMPOTENCY_TTL_SEC + Math.max(0, Math.ceil((req.runAt - Date.now()) / 1000));
  const recorded = (await store.guard(() =>
    runScript(
      store.redis,
      'idempotency',
      [recordKey],
      [tenant ?? '', candidate, fingerprint, ttlSec],
    ),
  )) as string | null;
  // A new record: a job under the candidate id may still exist (the key's record expired
  // before its job): the duplicate path compares its data.
  if (recorded === null) return { id: candidate, retryKey: key, compared: false };
  const [id = '', recordedFingerprint] = recorded.split(' ');
  if (recordedFingerprint !== fingerprint) throw mismatch(req.type);
  const queue = queueOfJobId(id);
  if (queue !== undefined && queues.includes(queue)) return { id, retryKey: key, compared: true };
  // Its queue is no longer one of the type's (fewer partitions now): answer that job while
  // it lives; once it is gone, the key starts over in a queue that is consumed.
  const exists = await store.guard(() =>
    queue === undefined ? Promise.resolve(0) : store.redis.exists(store.keys.job(id)),
  );
  if (exists === 1) return { id, retryKey: key, compared: true };
  await store.guard(() =>
    store.redis
      .multi()
      .hset(recordKey, tenant ?? '', `${candidate} ${fingerprint}`)
      .expire(recordKey, ttlSec)
      .exec(),
  );
  return { id: candidate, retryKey: key, compared: true };
}

export function mismatch(type: string): WorkmeshError {
  return new WorkmeshError(
    'WM_ERR_API_IDEMPOTENCY_MISMATCH',
    `this Idempotency-Key was used before with other data (or another type than ${type}); a key names one request`,
  );
}
