import { ROUTE_SCOPES } from '../../src/api/route-scopes.js';

/**
 * The fuzz run's request generator (test/fuzz.test.ts in process, test/fuzz-live.test.ts
 * against a real `workmesh api`): random and malformed requests over every route, replayable
 * from a seed. `token` is the admin token some requests carry.
 */

export interface FuzzRequest {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'OPTIONS' | 'HEAD';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** encodeURIComponent that keeps a lone surrogate as a raw (invalid) escape instead of throwing. */
function encodePath(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

export interface Fuzzer {
  readonly rand: () => number;
  readonly pick: <T>(xs: readonly T[]) => T;
  readonly int: (n: number) => number;
  /** A random request; with knownIds, some name real jobs (for ?wait= and event streams). */
  readonly randomRequest: (knownIds?: readonly string[]) => FuzzRequest;
}

export function fuzzer(seed: number, token: string): Fuzzer {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (n: number) => Math.floor(rand() * n);

  const ODD_STRINGS = [
    '',
    ' ',
    '..',
    '../../etc/passwd',
    '%2e%2e%2f%2e%2e%2fetc',
    '%00',
    '\u0000',
    '\uFEFF',
    '\uD800',
    'ä½ å¥½',
    '💥'.repeat(50),
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'permute.AAAAAAAAAAAAAAAA',
    'permute.' + 'A'.repeat(15),
    'hash.AAAAAAAAAAAAAAA*',
    'x'.repeat(10_000),
    '*',
    '{wm}',
    'wm:{permute}:job:x',
    '\r\nX-Injected: 1',
    '-1',
    '1e999',
    'NaN',
  ];

  function randomJson(depth: number): unknown {
    switch (int(depth > 6 ? 5 : 8)) {
      case 0:
        return pick(ODD_STRINGS);
      case 1:
        return rand() * 10 ** int(300) * (rand() < 0.5 ? -1 : 1);
      case 2:
        return pick([true, false, null]);
      case 3:
        return int(2 ** 31);
      case 4:
        return 'y'.repeat(int(2000));
      case 5:
        return Array.from({ length: int(5) }, () => randomJson(depth + 1));
      case 6: {
        const o: Record<string, unknown> = {};
        for (let i = int(5); i > 0; i--)
          o[
            pick([
              ...ODD_STRINGS,
              'type',
              'data',
              'key',
              'delayMs',
              'maxAttempts',
              'callbackUrl',
              'runAt',
            ])
          ] = randomJson(depth + 1);
        return o;
      }
      default: {
        let v: unknown = 1;
        for (let i = int(100); i > 0; i--) v = rand() < 0.5 ? [v] : { a: v };
        return v;
      }
    }
  }

  function randomBody(): { payload?: string | Buffer; contentType?: string } {
    switch (int(12)) {
      case 0:
        return {};
      case 1:
        return {
          payload: JSON.stringify({
            type: pick(['permute', 'hash', 'text-stats', 'nope', '']),
            data: randomJson(0),
          }),
          contentType: 'application/json',
        };
      case 2:
        return { payload: JSON.stringify(randomJson(0)), contentType: 'application/json' };
      case 3:
        return { payload: '{"type": "permute", "data": ', contentType: 'application/json' };
      case 4:
        return {
          payload: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0xc3]),
          contentType: 'application/json',
        };
      case 5:
        return {
          payload: 'data=abc&type=permute',
          contentType: pick([
            'application/x-www-form-urlencoded',
            'text/plain',
            'multipart/form-data; boundary=x',
            'application/xml',
            '',
          ]),
        };
      case 6:
        return {
          payload:
            '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "type": "permute", "data": "abc"}',
          contentType: 'application/json',
        };
      case 7:
        return {
          payload: JSON.stringify({ type: 'permute', data: 'z'.repeat(int(2_000_000)) }),
          contentType: 'application/json',
        };
      case 8:
        return {
          payload: '\uFEFF{"type":"permute","data":"bom"}',
          contentType: 'application/json; charset=utf-16',
        };
      case 9:
        return { payload: '['.repeat(5000) + ']'.repeat(5000), contentType: 'application/json' };
      case 10:
        return {
          payload: JSON.stringify({
            type: 'permute',
            data: 'ok',
            key: pick(ODD_STRINGS),
            callbackUrl: pick([
              'http://169.254.169.254/',
              'file:///etc/passwd',
              'javascript:1',
              'http://127.0.0.1:1/x',
              pick(ODD_STRINGS),
            ]),
          }),
          contentType: 'application/json',
        };
      default:
        return {
          payload: JSON.stringify({ type: 'permute', data: 'abc' }),
          contentType: 'application/json',
        };
    }
  }

  function randomRequest(knownIds?: readonly string[]): FuzzRequest {
    const route = pick(Object.keys(ROUTE_SCOPES));
    const [routeMethod, routeUrl] = route.split(' ') as [string, string];
    // With ids of real jobs (a live API), a third of the :id routes name one of them.
    const real = knownIds && knownIds.length > 0 && rand() < 0.35 ? pick(knownIds) : undefined;
    let url = routeUrl
      .replace('*', pick(ODD_STRINGS))
      .replace(':id', () => real ?? encodePath(pick(ODD_STRINGS)));
    if (rand() < 0.15) url = url.replace(/\/[^/]*$/, `/${encodePath(pick(ODD_STRINGS))}`);
    if (rand() < 0.1)
      url = `/${pick(['', '/', '//api//work', 'api/../api/work', 'API/WORK', '%2fapi%2fwork', 'api/work/', 'api/status/'])}`;
    if (rand() < 0.3)
      url += `?${pick(['data=', 'data=abc', 'wait=-1', 'wait=abc', 'wait=99999', 'wait=1', 'wait=2', 'type=nope', 'data[]=1&data[]=2', 'limit=1e9', 'offset=-5', '__proto__[x]=1', '%%%', 'a='.repeat(500)])}`;
    // light-my-request reads a leading `//` as a host; the wire test below sends such paths.
    url = `/${url.replace(/^\/+/, '')}`;
    const body = randomBody();
    const headers: Record<string, string> = {};
    if (body.contentType !== undefined && body.contentType !== '')
      headers['content-type'] = body.contentType;
    if (rand() < 0.5)
      headers.authorization = pick([
        `Bearer ${token}`,
        'Bearer',
        `Bearer ${token}x`,
        'Basic Zm9vOmJhcg==',
        `bearer  ${token}`,
        pick(ODD_STRINGS).replace(/[\r\n]/g, ''),
      ]);
    if (rand() < 0.2)
      headers['idempotency-key'] = pick(ODD_STRINGS)
        .replace(/[\r\n]/g, '')
        .slice(0, 4000);
    if (rand() < 0.1) headers['x-forwarded-for'] = pick(ODD_STRINGS).replace(/[\r\n]/g, '');
    if (rand() < 0.1) headers['content-encoding'] = pick(['gzip', 'br', 'identity', 'x']);
    if (rand() < 0.05) headers['x-big'] = 'h'.repeat(20_000);
    const method =
      rand() < 0.8
        ? routeMethod
        : pick(['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD']);
    return {
      method: method as FuzzRequest['method'],
      url,
      headers,
      ...(body.payload === undefined || ['GET', 'HEAD'].includes(method)
        ? {}
        : { payload: body.payload }),
    };
  }
  return { rand, pick, int, randomRequest };
}
