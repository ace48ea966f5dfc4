import type { FastifyInstance } from 'fastify';
import type { ClusterNode } from '../cluster/index.js';
import { listenOn } from '../http/index.js';
import { openApiRuntime, type ApiOptions } from './runtime.js';
import { buildApi } from './server.js';

export interface ApiHandle {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
  /** This API process as a cluster member. */
  readonly node: ClusterNode;
  /** Stops accepting, answers requests in flight, flushes enqueues, disconnects. */
  stop(): Promise<void>;
}

export type StartApiOptions = ApiOptions;
export type { ApiOptions };

/**
 * Everything `workmesh api` runs, in this process: the HTTP API listening on
 * WORKMESH_HOST:WORKMESH_API_PORT, its cluster node, webhooks and schedules.
 */
export async function startApi(options: StartApiOptions = {}): Promise<ApiHandle> {
  const runtime = await openApiRuntime(options);
  const { ctx, log } = runtime;
  const app = await buildApi(ctx, log);
  let listening: { port: number; url: string };
  try {
    listening = await listenOn(app, ctx.config.host, ctx.config.apiPort, 'WORKMESH_API_PORT');
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const { port, url } = listening;
  log.info({ url }, 'api listening');
  const node = await runtime.join({ url });
  return {
    app,
    url,
    port,
    node,
    async stop() {
      await app.close();
      await runtime.close();
    },
  };
}
