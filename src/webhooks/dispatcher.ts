import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { getJob } from '../queue/index.js';
import { redisOutage, runScript, type Keys } from '../redis/index.js';
import type { WebhookAllowList } from './allow.js';
import { postPinned } from './post.js';
import { signWebhook } from './signature.js';

const LEASE_MS = 30_000;
const MAX_ATTEMPTS = 8;
const TIMEOUT_MS = 10_000;
const IDLE_MS = 2000;

export interface DispatcherOptions {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly queues: () => readonly string[];
  readonly allow: WebhookAllowList;
  readonly secret: string;
  readonly retryMs: number;
  readonly log: Logger;
}

/**
 * Delivers the webhooks of final jobs: POSTs the job's status, signed, to its URL; retries a
 * failure with exponential backoff (8 attempts in all); re-checks the allow-list and where the
 * host resolves before every attempt, and connects to the address it checked (postPinned);
 * never follows redirects. Runs in every API process;
 * a lease in Redis keeps two of them from delivering the same webhook at once.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  readonly counts = { delivered: 0, failedAttempts: 0, givenUp: 0 };

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks for due webhooks now (a job just became final). */
  wake(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again ||= ms === 0;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.running = true;
    let nextMs = IDLE_MS;
    try {
      for (const queue of this.options.queues()) {
        const [ids, nextDue] = (await runScript(
          this.options.redis,
          'claim-webhooks',
          [this.options.keys.webhooks(queue)],
          [Date.now(), LEASE_MS, 50],
        )) as [string[], number];
        const retryAts = await Promise.all(ids.map((id) => this.deliver(queue, id)));
        if (ids.length === 50) nextMs = 0;
        // The retries just scheduled count too: nextDue was read before them, and the idle
        // timer alone made a 300 ms retry wait 2 s.
        for (const at of [nextDue, ...retryAts])
          if (at !== undefined && at >= 0) nextMs = Math.min(nextMs, Math.max(0, at - Date.now()));
      }
    } catch (err) {
      if (!redisOutage.failed(this.options.log, 'webhooks', err))
        this.options.log.warn({ err: (err as Error).message }, 'webhook dispatch failed; retrying');
    } finally {
      this.running = false;
      this.schedule(this.again ? 0 : nextMs);
      this.again = false;
    }
  }

  /** Delivers one webhook; answers when its retry is due, if it failed and has one left. */
  private async deliver(queue: string, id: string): Promise<number | undefined> {
    const { redis, keys, allow, secret, log } = this.options;
    const zset = keys.webhooks(queue);
    const jobKey = keys.job(id);
    // Every write goes through webhook-result.lua: a record that expired during a slow
    // delivery is never recreated.
    const record = (
      outcome: 'delivered' | 'retry' | 'failed',
      attempt: number,
      retryAt: number,
      error: string,
    ) => runScript(redis, 'webhook-result', [zset, jobKey], [id, outcome, attempt, retryAt, error]);
    const job = await getJob(redis, keys, id);
    const url = job ? await redis.hget(jobKey, 'webhook') : null;
    if (!job || !url) {
      await redis.zrem(zset, id);
      return undefined;
    }
    const attempt = Number((await redis.hget(jobKey, 'webhookAttempts')) ?? 0) + 1;
    const giveUp = async (reason: string): Promise<void> => {
      this.counts.givenUp += 1;
      log.warn({ jobId: id, reason }, 'webhook given up');
      await record('failed', attempt, 0, reason);
    };
    const verdict = await allow.check(url);
    let failure: string | undefined;
    if (!verdict.ok) {
      // A transient DNS failure (EAI_AGAIN) is an attempt that failed, retried as any other.
      if (!verdict.transient) return void (await giveUp(verdict.reason));
      failure = verdict.reason;
    } else {
      const { data, events, ...status } = job;
      const body = JSON.stringify(status);
      try {
        const code = await postPinned(
          new URL(url),
          verdict.address,
          {
            'content-type': 'application/json',
            'user-agent': 'workmesh-webhook',
            'x-workmesh-delivery': id,
            'x-workmesh-attempt': String(attempt),
            'x-workmesh-signature': signWebhook(secret, body),
          },
          body,
          TIMEOUT_MS,
        );
        if (code < 200 || code >= 300) failure = `HTTP ${code}`;
      } catch (err) {
        failure = (err as Error).message;
      }
    }
    if (failure === undefined) {
      this.counts.delivered += 1;
      await record('delivered', attempt, 0, '');
      return undefined;
    }
    this.counts.failedAttempts += 1;
    if (attempt >= MAX_ATTEMPTS)
      return void (await giveUp(`${MAX_ATTEMPTS} attempts failed; last: ${failure}`));
    const retryAt = Date.now() + this.options.retryMs * 2 ** (attempt - 1);
    log.info({ jobId: id, attempt, failure }, 'webhook delivery failed; will retry');
    await record('retry', attempt, retryAt, failure);
    return retryAt;
  }
}
