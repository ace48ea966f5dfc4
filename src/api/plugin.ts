import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../errors/index.js';
import { openApiRuntime, type ApiOptions } from './runtime.js';
import { installApi } from './server.js';

export type WorkmeshApiOptions = ApiOptions;

/**
 * The HTTP API as a Fastify plugin, for an app that has its own Fastify server:
 * `await app.register(workmeshApi, { config, jobs })`. Its routes (/api/..., /metrics,
 * /healthz, /readyz), checks, auth and error answers live in the plugin's own context; the
 * app's 404 handler, logger and server options stay the app's. It joins the cluster as an API
 * node, fires schedules and delivers webhooks as `workmesh api` does; app.close() stops it all.
 * Mount it at the root (no prefix): the routes' paths are the documented API's.
 */
export async function workmeshApi(
  app: FastifyInstance,
  options: WorkmeshApiOptions,
): Promise<void> {
  if (app.prefix !== '') {
    throw new WorkmeshError(
      'WM_ERR_CONFIG_INVALID',
      `workmeshApi serves the documented paths (/api/...): register it without a prefix (got ${app.prefix})`,
    );
  }
  const runtime = await openApiRuntime(options);
  await installApi(app, runtime.ctx, { plugin: true });
  // The node's URL, once the app listens (read at every heartbeat).
  const meta: Record<string, string> = {};
  app.server.once('listening', () => {
    const address = app.server.address();
    if (address !== null && typeof address === 'object') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      meta.url = `http://${host}:${address.port}`;
    }
  });
  await runtime.join(meta);
  app.addHook('onClose', () => runtime.close());
}
