import { createHash, timingSafeEqual } from 'node:crypto';
import { WorkmeshError } from '../errors/index.js';

export const SCOPES = ['submit', 'read', 'metrics', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who a request is: the tenant of its token and what the token may do. */
export interface Principal {
  /** A short digest naming the token in logs and rate-limit buckets; never the token. */
  readonly tokenId: string;
  readonly tenant: string;
  readonly scopes: ReadonlySet<Scope>;
}

interface TokenEntry extends Principal {
  readonly digest: Buffer;
}

export const MIN_TOKEN_LENGTH = 24;
const TENANT_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function invalid(why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_CONFIG_INVALID', `WORKMESH_API_TOKENS: ${why}`);
}

/**
 * The API tokens, from entries `<tenant>:<scope>[+<scope>...]:<token>`. Only digests are
 * kept; a lookup compares against every entry in constant time, so neither the answer time
 * nor an early exit tells how much of a guess was right.
 */
export class TokenSet {
  private readonly entries: readonly TokenEntry[];

  constructor(specs: readonly string[]) {
    const entries: TokenEntry[] = [];
    for (const [i, spec] of specs.entries()) {
      const first = spec.indexOf(':');
      const second = spec.indexOf(':', first + 1);
      if (first < 0 || second < 0) {
        throw invalid(`entry ${i + 1} is not <tenant>:<scopes>:<token>`);
      }
      const tenant = spec.slice(0, first);
      const scopes = spec.slice(first + 1, second).split('+');
      const token = spec.slice(second + 1);
      if (!TENANT_RE.test(tenant))
        throw invalid(`entry ${i + 1}: tenant must match ${String(TENANT_RE)}`);
      for (const s of scopes) {
        if (!(SCOPES as readonly string[]).includes(s)) {
          throw invalid(
            `entry ${i + 1}: unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`,
          );
        }
      }
      if (token.length < MIN_TOKEN_LENGTH) {
        throw invalid(
          `entry ${i + 1}: the token must be at least ${MIN_TOKEN_LENGTH} characters (try: openssl rand -base64 32)`,
        );
      }
      if (entries.some((e) => timingSafeEqual(e.digest, digest(token))))
        throw invalid(`entry ${i + 1}: token used twice`);
      const d = digest(token);
      entries.push({
        tokenId: d.toString('hex').slice(0, 12),
        tenant,
        scopes: new Set(scopes as Scope[]),
        digest: d,
      });
    }
    this.entries = entries;
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The principal of a token, or undefined; always looks at every entry. */
  lookup(token: string): Principal | undefined {
    const presented = digest(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry;
    }
    return found && { tokenId: found.tokenId, tenant: found.tenant, scopes: found.scopes };
  }
}

/** Whether a principal may use a route of this scope: admin may do everything. */
export function allows(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}
