import type { ClusterNode, SentinelAddress } from 'ioredis';

/** The scheme of a Redis Cluster: `redis+cluster://` (or `rediss+cluster://` with TLS). */
export const CLUSTER_SCHEMES = ['redis+cluster:', 'rediss+cluster:'] as const;
/** The scheme of a master found through Sentinel (`rediss+sentinel://`: TLS to both). */
export const SENTINEL_SCHEMES = ['redis+sentinel:', 'rediss+sentinel:'] as const;
/** Every scheme REDIS_URL takes. */
export const REDIS_SCHEMES = ['redis:', 'rediss:', ...CLUSTER_SCHEMES, ...SENTINEL_SCHEMES];

interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

export interface ClusterTarget extends Credentials {
  readonly seeds: ClusterNode[];
  readonly tls: boolean;
}

export interface SentinelTarget extends Credentials {
  /** The sentinels to ask; any one that answers is enough. */
  readonly sentinels: Required<Pick<SentinelAddress, 'host' | 'port'>>[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> ...`). */
  readonly masterName: string;
  readonly db: number;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  readonly tls: boolean;
}

/** What a REDIS_URL names: one server, a Cluster, or a master behind Sentinel. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | ({ readonly kind: 'cluster' } & ClusterTarget)
  | ({ readonly kind: 'sentinel' } & SentinelTarget);

const SENTINEL_PARAMS = new Set(['sentinelUsername', 'sentinelPassword']);

/** Splits `scheme://[auth@]hosts[/path][?query]` without URL(), which refuses a host list. */
function splitUrl(url: string, scheme: string) {
  const rest = url.slice(scheme.length + 2);
  const end = rest.search(/[/?]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const q = tail.indexOf('?');
  const path = q < 0 ? tail : tail.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : tail.slice(q + 1));
  const at = authority.lastIndexOf('@');
  const auth = at >= 0 ? authority.slice(0, at) : '';
  const colon = auth.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '');
  const password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth);
  const hosts = (at >= 0 ? authority.slice(at + 1) : authority).split(',');
  return {
    hosts,
    path,
    query,
    credentials: { ...(username ? { username } : {}), ...(password ? { password } : {}) },
  };
}

function parseHosts(hosts: string[], defaultPort: number): { host: string; port: number }[] {
  return hosts.map((hostPort) => {
    const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort);
    const port = Number(m?.[2] ?? defaultPort);
    if (!m || port < 1 || port > 65535) {
      throw new TypeError(`bad node ${JSON.stringify(hostPort)}: expected host:port`);
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * A cluster URL, `redis+cluster://[user:pass@]host:port[,host:port...]`: one seed node is
 * enough (the client discovers the others); list more so a start survives one being down.
 * Undefined for any other scheme.
 */
export function parseClusterUrl(url: string): ClusterTarget | undefined {
  const scheme = CLUSTER_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) return undefined;
  const { hosts, credentials } = splitUrl(url, scheme);
  return {
    seeds: parseHosts(hosts, 6379),
    ...credentials,
    tls: scheme === 'rediss+cluster:',
  };
}

/**
 * A Sentinel URL, `redis+sentinel://[user:pass@]host:port[,host:port...]/<master>[/<db>]
 * [?sentinelUsername=..&sentinelPassword=..]`: the credentials before `@` are the master's
 * (as in redis://), the query's are the sentinels' (`requirepass` in sentinel.conf).
 * Undefined for any other scheme.
 */
export function parseSentinelUrl(url: string): SentinelTarget | undefined {
  const scheme = SENTINEL_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) return undefined;
  const { hosts, path, query, credentials } = splitUrl(url, scheme);
  const [, name = '', db = '0', ...extra] = path.split('/');
  const masterName = decodeURIComponent(name);
  if (masterName === '') {
    throw new TypeError('the master name is missing: redis+sentinel://host:26379/<master-name>');
  }
  if (!/^\d{1,2}$/.test(db) || extra.length > 0) {
    throw new TypeError(`the path after the master name must be a db number, not ${path}`);
  }
  for (const key of query.keys()) {
    if (!SENTINEL_PARAMS.has(key)) {
      throw new TypeError(`unknown parameter ${key}: only ${[...SENTINEL_PARAMS].join(', ')}`);
    }
  }
  const sentinelUsername = query.get('sentinelUsername') ?? '';
  const sentinelPassword = query.get('sentinelPassword') ?? '';
  return {
    sentinels: parseHosts(hosts, 26379),
    masterName,
    db: Number(db),
    ...credentials,
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    tls: scheme === 'rediss+sentinel:',
  };
}

/**
 * What REDIS_URL names; throws a TypeError saying what is wrong with it. Config validation
 * and connectRedis both use this, so a URL that passes the start connects as checked.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = parseClusterUrl(url);
  if (cluster) return { kind: 'cluster', ...cluster };
  const sentinel = parseSentinelUrl(url);
  if (sentinel) return { kind: 'sentinel', ...sentinel };
  if (/^[a-z+]+:\/\/[^/?]*,/.test(url)) {
    throw new TypeError('a list of hosts needs redis+cluster:// or redis+sentinel://');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('not a URL');
  }
  if (!REDIS_SCHEMES.includes(parsed.protocol)) {
    throw new TypeError(`scheme must be ${REDIS_SCHEMES.join(' or ')}`);
  }
  return { kind: 'single', url };
}

/** REDIS_URL fit for a log or an error message: its passwords replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/?]*@/, '//***@').replace(/([?&]sentinelPassword=)[^&]*/, '$1***');
}
