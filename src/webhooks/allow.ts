import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a webhook never reaches unless the host was allowed by its exact name or IP. */
const internal = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  internal.addSubnet(net, bits, 'ipv4');
}
internal.addAddress('::1', 'ipv6');
internal.addAddress('::', 'ipv6');
internal.addSubnet('fc00::', 7, 'ipv6');
internal.addSubnet('fe80::', 10, 'ipv6');

function isInternal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internal.check(mapped, 'ipv4');
  return internal.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export type AllowVerdict = { ok: true } | { ok: false; reason: string };

/**
 * WORKMESH_WEBHOOK_ALLOW: `host`, an IP, `*.example.com` or `*` (any public host). A host that
 * resolves to a private, loopback or link-local address is allowed only when named exactly,
 * so a wildcard can never be turned against the inside network.
 */
export class WebhookAllowList {
  private readonly exact: Set<string>;
  private readonly suffixes: string[];
  private readonly any: boolean;

  constructor(entries: readonly string[]) {
    const lower = entries.map((e) => e.toLowerCase());
    this.any = lower.includes('*');
    this.suffixes = lower.filter((e) => e.startsWith('*.')).map((e) => e.slice(1));
    this.exact = new Set(lower.filter((e) => e !== '*' && !e.startsWith('*.')));
  }

  get enabled(): boolean {
    return this.any || this.suffixes.length > 0 || this.exact.size > 0;
  }

  /** The syntactic check, at submit: scheme and host. */
  checkUrl(raw: string): AllowVerdict & { exact?: boolean } {
    if (!this.enabled) return { ok: false, reason: 'webhooks are off: set WORKMESH_WEBHOOK_ALLOW' };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'not a URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { ok: false, reason: 'not http(s)' };
    if (url.username || url.password) return { ok: false, reason: 'credentials in the URL' };
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.exact.has(host)) return { ok: true, exact: true };
    if (this.suffixes.some((s) => host.endsWith(s)) || this.any) {
      if (isIP(host) && isInternal(host))
        return { ok: false, reason: `${host} is an internal address` };
      return { ok: true, exact: false };
    }
    return { ok: false, reason: `host ${host} is not in WORKMESH_WEBHOOK_ALLOW` };
  }

  /** The full check, before each delivery: also where the host resolves to now. */
  async check(raw: string): Promise<AllowVerdict> {
    const verdict = this.checkUrl(raw);
    if (!verdict.ok || verdict.exact) return verdict;
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    const addresses = await lookup(host, { all: true }).catch(() => []);
    if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` };
    const bad = addresses.find((a) => isInternal(a.address));
    return bad
      ? { ok: false, reason: `${host} resolves to the internal address ${bad.address}` }
      : { ok: true };
  }
}
