import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { authorize, type TokenSet } from '../auth/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { Metrics } from './metrics.js';

export interface MetricsServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Why a scrape is refused (401/403 with a catalogue error), or undefined when it may go on. */
function refuse(tokens: TokenSet | undefined, authorization: string | undefined) {
  if (!tokens?.enabled) return undefined;
  try {
    authorize(tokens, authorization, 'metrics');
    return undefined;
  } catch (err) {
    if (!(err instanceof WorkmeshError)) throw err;
    return { status: err.status, error: err.toJSON() };
  }
}

/**
 * A bare HTTP listener for processes without the API (workers): GET /metrics and /healthz.
 * `ready` answers /readyz (Redis reachable and the node registered).
 */
export async function startMetricsServer(options: {
  readonly metrics: Metrics;
  readonly host: string;
  readonly port: number;
  readonly ready: () => Promise<boolean>;
  readonly log: Logger;
  /** When it has tokens, GET /metrics needs one with the `metrics` (or `admin`) scope. */
  readonly tokens?: TokenSet;
}): Promise<MetricsServer> {
  const { metrics, log } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    const json = 'application/json; charset=utf-8';
    const notFound = '{"error":{"code":"WM_ERR_API_ROUTE_NOT_FOUND","message":"no such route"}}';
    if (req.method !== 'GET') return answer(404, json, notFound);
    if (path === '/metrics') {
      const refusal = refuse(options.tokens, req.headers.authorization);
      if (refusal) {
        res.setHeader('www-authenticate', 'Bearer realm="workmesh"');
        return answer(refusal.status, json, JSON.stringify({ error: refusal.error }));
      }
      metrics.render().then(
        (text) => answer(200, metrics.contentType(), text),
        (err: unknown) => {
          log.warn({ err: (err as Error).message }, 'metrics scrape failed');
          answer(500, 'text/plain', 'scrape failed\n');
        },
      );
      return;
    }
    if (path === '/healthz') return answer(200, json, '{"ok":true}');
    if (path === '/readyz') {
      options.ready().then(
        (ok) => answer(ok ? 200 : 503, json, JSON.stringify({ ok })),
        () => answer(503, json, '{"ok":false}'),
      );
      return;
    }
    answer(404, json, notFound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  log.info({ url }, 'metrics listening');
  return {
    url,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
