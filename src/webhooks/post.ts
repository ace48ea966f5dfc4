import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * POSTs body to url, connecting to `address` (the one the allow-list checked) whatever the
 * host name resolves to by now: TLS still verifies the certificate for the URL's host name.
 * No redirects are followed, no connection is pooled (each delivery connects to the address
 * checked for it). Answers the HTTP status.
 */
export function postPinned(
  url: URL,
  address: LookupAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const lookup = ((
    _host: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ): void => {
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  }) as unknown as RequestOptions['lookup'];
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent: false,
        lookup,
        signal: AbortSignal.timeout(timeoutMs),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
