import type { ClusterNode } from 'ioredis';

/** The scheme of a Redis Cluster: `redis+cluster://` (or `rediss+cluster://` with TLS). */
export const CLUSTER_SCHEMES = ['redis+cluster:', 'rediss+cluster:'] as const;

export interface ClusterTarget {
  readonly seeds: ClusterNode[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/**
 * A cluster URL, `redis+cluster://[user:pass@]host:port[,host:port...]`: one seed node is
 * enough (the client discovers the others); list more so a start survives one being down.
 * Undefined for a plain `redis://` URL.
 */
export function parseClusterUrl(url: string): ClusterTarget | undefined {
  const scheme = CLUSTER_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) return undefined;
  const rest = url.slice(scheme.length + 2).replace(/\/.*$/, '');
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const hosts = at >= 0 ? rest.slice(at + 1) : rest;
  const seeds = hosts.split(',').map((hostPort) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
    if (!m) throw new TypeError(`bad cluster node ${JSON.stringify(hostPort)} in REDIS_URL`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2] ?? 6379) };
  });
  const colon = auth.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '');
  const password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth);
  return {
    seeds,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: scheme === 'rediss+cluster:',
  };
}
