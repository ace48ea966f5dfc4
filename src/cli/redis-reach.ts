import { WorkmeshError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { connectRedis, type Redis } from '../redis/index.js';

/**
 * How long a one-shot command (`nodes`, `sysmon --once`, `shell`) waits for Redis before it
 * gives up: connections otherwise reconnect forever, which suits a service, not a script.
 */
export const REDIS_REACH_MS = 5000;

const masked = (url: string | undefined): string =>
  (url ?? 'redis://127.0.0.1:6379').replace(/\/\/[^@/]*@/, '//***@');

/**
 * Resolves once this connection is ready; past the deadline rejects with
 * WM_ERR_REDIS_UNAVAILABLE naming the URL and the last error, and disconnects it.
 */
export function reachRedis(
  redis: Redis,
  url: string | undefined,
  timeoutMs = REDIS_REACH_MS,
): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = '';
    const onError = (err: Error): void => {
      lastError = err.message;
    };
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      redis.disconnect();
      reject(
        new WorkmeshError(
          'WM_ERR_REDIS_UNAVAILABLE',
          `Redis at ${masked(url)} did not answer within ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}. Is it running? Start everything with \`workmesh up\`, or set REDIS_URL.`,
        ),
      );
    }, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/** Checks that Redis answers, on a connection of its own, within the deadline. */
export async function checkRedis(url: string | undefined, log: Logger): Promise<void> {
  const redis = connectRedis(url, log, { name: 'wm-cli-check' });
  await reachRedis(redis, url);
  await redis.quit().catch(() => redis.disconnect());
}
