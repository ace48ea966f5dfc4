import { createHmac, timingSafeEqual } from 'node:crypto';

/** What the default webhook key is derived for (a label, so no other use yields the same key). */
const WEBHOOK_KEY_LABEL = 'workmesh webhook signing key v1';

/**
 * The key webhooks are signed with: WORKMESH_WEBHOOK_SECRET when set, else one derived from
 * the cluster secret, hex HMAC-SHA256(key = cluster secret, "workmesh webhook signing key v1").
 * A receiver holds this key only: it cannot sign cluster messages (a `stop` to a worker),
 * which are signed with the cluster secret itself.
 */
export function webhookSigningKey(
  webhookSecret: string | undefined,
  clusterSecret: string,
): string {
  return (
    webhookSecret ?? createHmac('sha256', clusterSecret).update(WEBHOOK_KEY_LABEL).digest('hex')
  );
}

/**
 * `X-Workmesh-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. A receiver
 * recomputes it with the shared secret and rejects an old `t` (replays).
 */
export function signWebhook(
  secret: string,
  body: string,
  nowSec = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret).update(`${nowSec}.${body}`).digest('hex');
  return `t=${nowSec},v1=${mac}`;
}

/** The receiver's side, exported for users and tests. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  toleranceSec = 300,
): boolean {
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!t || !v1) return false;
  if (Math.abs(Date.now() / 1000 - Number(t)) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
