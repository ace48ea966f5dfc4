import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Checks a condition until it holds or the deadline passes (then throws with the last value).
 * For state that lives in another process or in Redis, where no event reaches the test.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T> | T,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  while (performance.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
