import { setTimeout as sleep } from 'node:timers/promises';
import { tenantJobId } from '../auth/index.js';
import type { Dedupe } from '../queue/index.js';
import { newJobId, queueOfJobId, runScript } from '../redis/index.js';
import { digest, queueFor, type IdStore } from './job-id.js';

/**
 * A reservation whose job is not written after this long names a write that failed: the next
 * submission takes the window over. Far above a Redis call's time in a server (2 s).
 */
const STALE_MS = 10_000;

export interface DedupeRequest {
  readonly queues: readonly string[];
  readonly tenant: string | undefined;
  readonly dedupe: Dedupe;
  /** The id a minted Idempotency-Key names (a resend after a 5xx): the candidate. */
  readonly minted: string | undefined;
  /** The job's data as JSON (debounce writes it into the waiting job). */
  readonly dataJson: string;
  /** When the job becomes due, ms since the epoch (debounce: now + ttlSec at least). */
  readonly runAt: number;
}

export type DedupeVerdict = 'create' | 'duplicate' | 'replaced';

export interface DedupeChoice {
  readonly id: string;
  readonly verdict: DedupeVerdict;
}

/**
 * The job a submission with a dedupe window names (dedupe.lua): a new one (`create`: the
 * caller writes it), the window's first (throttle), or the waiting one, which now carries
 * this submission's data and due time (debounce). The queue (a partition) is chosen from the
 * dedupe key, so every submission with the key meets the same record, in its job's slot.
 */
export async function chooseDedupeJob(store: IdStore, req: DedupeRequest): Promise<DedupeChoice> {
  const { dedupe, tenant, minted } = req;
  const queue =
    minted === undefined ? queueFor(req.queues, dedupe.key) : (queueOfJobId(minted) ?? '');
  const candidate = minted ?? (tenant === undefined ? newJobId(queue) : tenantJobId(queue, tenant));
  const recordKey = store.keys.dedupe(queue, digest(`${tenant ?? ''}\0${dedupe.key}`, 22));
  for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
    // The record is read first: the script must be given the key of the job it names.
    const expected = (await store.guard(() => store.redis.get(recordKey)))?.split(' ')[0] ?? '';
    const [verdict, id] = (await store.guard(() =>
      runScript(
        store.redis,
        'dedupe',
        [recordKey, store.keys.delayed(queue), store.keys.job(expected || candidate)],
        [
          dedupe.mode,
          expected,
          candidate,
          Date.now(),
          dedupe.ttlSec * 1000,
          req.runAt,
          dedupe.mode === 'debounce' ? req.dataJson : '',
          STALE_MS,
        ],
      ),
    )) as [string, string];
    if (verdict === 'create' || verdict === 'duplicate' || verdict === 'replaced')
      return { id, verdict };
    // `pending`: the window's job is being written by another request; `again`: the record
    // changed between the read and the script. Both settle within a few ms.
    if (verdict === 'pending') await sleep(pause);
  }
}
