import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TokenSet, allows, isLoopback, refuseWithoutSecret } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

export const SESSION_COOKIE = 'wm_console';
const SESSION_MS = 12 * 3600 * 1000;

/** Who may use the console: WORKMESH_CONSOLE_TOKEN, or any API token with the admin scope. */
export interface ConsoleGate {
  /** Keys the session cookies: changing the tokens logs everyone out. */
  readonly sessionKey: string;
  accepts(given: string): boolean;
}

/** The console's gate, or undefined when no token is configured (open, loopback only). */
export function consoleGate(config: Config): ConsoleGate | undefined {
  const tokens = new TokenSet(config.apiTokens);
  const { consoleToken } = config;
  if (consoleToken === undefined && !tokens.enabled) return undefined;
  return {
    sessionKey: consoleToken ?? config.apiTokens.join(','),
    accepts(given) {
      // Both checks always run: the answer time does not tell which one matched.
      const byConsole = consoleToken !== undefined && tokenMatches(given, consoleToken);
      const principal = tokens.lookup(given);
      return byConsole || (principal !== undefined && allows(principal, 'admin'));
    },
  };
}

/**
 * Refuses a console that would be open beyond loopback without a token (the seed's console
 * was unauthenticated, ours is not), or with cluster calls (drain, stop) signed by the public
 * development secret; `--insecure` starts it anyway, with a warning.
 */
export function checkListenAllowed(config: Config, log?: Logger): void {
  if (isLoopback(config.host)) return;
  if (consoleGate(config) === undefined) {
    if (!config.insecure) {
      throw new WorkmeshError(
        'WM_ERR_CONSOLE_NO_TOKEN',
        `the console would listen on ${config.host} without a token; set WORKMESH_API_TOKENS (an admin token logs in) or WORKMESH_CONSOLE_TOKEN, or WORKMESH_HOST=127.0.0.1`,
      );
    }
    log?.warn(
      { host: config.host },
      'INSECURE: the console listens beyond loopback without a token',
    );
  }
  refuseWithoutSecret(config, 'console', log);
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
