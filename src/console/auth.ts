import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WorkmeshError } from '../errors/index.js';

export const SESSION_COOKIE = 'wm_console';
const SESSION_MS = 12 * 3600 * 1000;

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuses a console that would be open beyond loopback without a token: the seed's console
 * was unauthenticated, ours is not.
 */
export function checkListenAllowed(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopback(host)) {
    throw new WorkmeshError(
      'WM_ERR_CONSOLE_NO_TOKEN',
      `the console would listen on ${host} without a token; set WORKMESH_CONSOLE_TOKEN or WORKMESH_HOST=127.0.0.1`,
    );
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares in constant time (hashes first, so lengths never leak either). */
export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Sessions are stateless: `<expiry ms>.<HMAC of it keyed by the token>`. Nothing is stored
 * server-side, several console processes accept each other's sessions, and changing the
 * token logs everyone out.
 */
export class Sessions {
  constructor(private readonly token: string) {}

  issue(now = Date.now()): { value: string; maxAgeSec: number } {
    const expires = now + SESSION_MS;
    return { value: `${expires}.${this.mac(String(expires))}`, maxAgeSec: SESSION_MS / 1000 };
  }

  valid(value: string | undefined, now = Date.now()): boolean {
    if (!value) return false;
    const dot = value.indexOf('.');
    const expires = value.slice(0, dot);
    if (dot <= 0 || !/^\d+$/.test(expires) || Number(expires) < now) return false;
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(expires), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(expires: string): string {
    return createHmac('sha256', this.token)
      .update(`workmesh-console-session:${expires}`)
      .digest('base64url');
  }
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Counts wrong tokens (login form and bearer header alike) per minute, for all clients
 * together: past the limit every token is refused until the minute is over, so guessing
 * cannot go faster than `perMinute` tries a minute.
 */
export class FailureLimit {
  private failures = 0;
  private windowStart = Date.now();

  constructor(private readonly perMinute: number) {}

  blocked(now = Date.now()): boolean {
    if (now - this.windowStart > 60_000) {
      this.windowStart = now;
      this.failures = 0;
    }
    return this.failures >= this.perMinute;
  }

  fail(): void {
    this.failures += 1;
  }
}
