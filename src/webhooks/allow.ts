import type { LookupAddress } from 'node:dns';
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
  ['198.18.0.0', 15], // benchmarking networks, often routed inside
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  internal.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 96], // ::, ::1 and the IPv4-compatible ::a.b.c.d (IPv4-mapped ones meet the IPv4 rules)
  ['64:ff9b::', 96], // NAT64: reaches any IPv4 address, internal ones included
  ['64:ff9b:1::', 48], // local-use NAT64
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8], // multicast
] as const) {
  internal.addSubnet(net, bits, 'ipv6');
}

function isInternal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internal.check(mapped, 'ipv4');
  return internal.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export type AllowVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Before a delivery: go, to `address` (the one checked: the request connects there and never
 * resolves the name again), or not; `transient`: a failure to retry later (a DNS timeout).
 */
export type DeliveryVerdict =
  { ok: true; address: LookupAddress } | { ok: false; reason: string; transient: boolean };

/** Resolves a host name to all its addresses (node:dns lookup; tests pass their own). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true });

/** DNS answers that mean the name does not exist; any other failure is worth a retry. */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * WORKMESH_WEBHOOK_ALLOW: `host`, an IP, `*.example.com` or `*` (any public host). A host that
 * resolves to a private, loopback or link-local address is allowed only when named exactly,
 * so a wildcard can never be turned against the inside network.
 */
export class WebhookAllowList {
  private readonly exact: Set<string>;
  private readonly suffixes: string[];
  private readonly any: boolean;

  constructor(
    entries: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
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

  /**
   * The full check, before each delivery: also where the host resolves to now. Answers the
   * address to connect to: the caller pins the connection to it (no second lookup, so no
   * DNS-rebinding window between the check and the request).
   */
  async check(raw: string): Promise<DeliveryVerdict> {
    const verdict = this.checkUrl(raw);
    if (!verdict.ok) return { ...verdict, transient: false };
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    if (family !== 0) return { ok: true, address: { address: host, family } };
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      // A name allowed exactly was never refused for its address: any failure is retried.
      if (NO_SUCH_NAME.has(code) && !verdict.exact) {
        return { ok: false, reason: `${host} does not resolve (${code})`, transient: false };
      }
      return { ok: false, reason: `${host}: DNS lookup failed (${code})`, transient: true };
    }
    const first = addresses[0];
    if (!first) return { ok: false, reason: `${host} does not resolve`, transient: false };
    if (verdict.exact) return { ok: true, address: first };
    const bad = addresses.find((a) => isInternal(a.address));
    return bad
      ? {
          ok: false,
          reason: `${host} resolves to the internal address ${bad.address}`,
          transient: false,
        }
      : { ok: true, address: first };
  }
}
