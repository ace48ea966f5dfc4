import type { FastifyInstance } from 'fastify';
import { withRedis } from '../../http/index.js';
import { WorkmeshError } from '../../errors/index.js';
import {
  buryDead,
  pauseQueues,
  readQueueState,
  resumeQueues,
  reviveDead,
} from '../../queue/index.js';
import { queueOfJobId } from '../../redis/index.js';
import { pauseSchedule } from '../../schedule/index.js';
import { Submitter } from '../../submit/index.js';
import type { ConsoleContext } from '../context.js';
import { checkedJobId, checkedType, queuesOfType } from './data.js';

const NODE_ACTIONS = new Set(['ping', 'drain', 'resume', 'stop']);

/**
 * What the console changes: submit work, retry or purge dead letters, pause or resume a job
 * type, ping, drain or stop a node. Every action is a POST or DELETE with a JSON body: a cross-site form cannot send one
 * (and the session cookie is SameSite=Strict).
 */
export function actionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const redis = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);
  const queueOf = (id: string): string => queueOfJobId(checkedJobId(id))!;
  const submitter = new Submitter(ctx);

  app.post<{ Body: { type?: unknown; data?: unknown } }>(
    '/console/api/work',
    async (request, reply) => {
      const body = request.body ?? {};
      const type = checkedType(typeof body.type === 'string' ? body.type : 'permute')!;
      if (body.data === undefined)
        throw new WorkmeshError('WM_ERR_API_NO_DATA', 'no work data: send {"type", "data"}');
      const { id } = await submitter.submit({ type, data: body.data });
      request.log.info({ jobId: id }, 'work submitted from the console');
      return reply.status(202).send({ callback: id, status: 'accepted', type });
    },
  );

  app.post<{ Params: { id: string } }>('/console/api/dead/:id/retry', async (request) => {
    const id = request.params.id;
    const n = await redis(() => reviveDead(ctx.redis, ctx.keys, queueOf(id), [id]));
    if (n === 0) throw new WorkmeshError('WM_ERR_DEAD_NOT_FOUND', `no dead letter ${id}`);
    return { callback: id, retried: true };
  });

  app.delete<{ Params: { id: string } }>('/console/api/dead/:id', async (request) => {
    const id = request.params.id;
    const n = await redis(() => buryDead(ctx.redis, ctx.keys, queueOf(id), [id]));
    if (n === 0) throw new WorkmeshError('WM_ERR_DEAD_NOT_FOUND', `no dead letter ${id}`);
    return { callback: id, purged: true };
  });

  // All the dead letters of one queue at once.
  app.post<{ Params: { type: string } }>(
    '/console/api/queues/:type/dead/retry',
    async (request) => {
      const type = checkedType(request.params.type)!;
      return { queue: type, retried: await redis(() => reviveDead(ctx.redis, ctx.keys, type)) };
    },
  );
  app.delete<{ Params: { type: string } }>('/console/api/queues/:type/dead', async (request) => {
    const type = checkedType(request.params.type)!;
    return { queue: type, purged: await redis(() => buryDead(ctx.redis, ctx.keys, type)) };
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(
      `/console/api/schedules/:id/${action}`,
      async (request) => {
        const store = { redis: ctx.redis, keys: ctx.keys, registry: ctx.registry };
        const view = await redis(() => pauseSchedule(store, request.params.id, action === 'pause'));
        request.log.info({ scheduleId: view.id, action }, 'schedule action from the console');
        return view;
      },
    );
  }
  // Pause or resume a job type (every partition), as POST /api/queues/<type>/pause does.
  app.post<{ Params: { type: string; action: string } }>(
    '/console/api/queues/:type/:action',
    async (request) => {
      const { type, action } = request.params;
      if (action !== 'pause' && action !== 'resume')
        throw new WorkmeshError('WM_ERR_API_ROUTE_NOT_FOUND', `no queue action ${action}`);
      const queues = queuesOfType(ctx, type);
      await redis(() =>
        (action === 'pause' ? pauseQueues : resumeQueues)(ctx.redis, ctx.keys, queues),
      );
      request.log.info({ type, action }, 'queue action from the console');
      return redis(() => readQueueState(ctx.redis, ctx.keys, type, queues));
    },
  );

  app.post<{ Params: { id: string; action: string } }>(
    '/console/api/nodes/:id/:action',
    async (request) => {
      const { id, action } = request.params;
      if (!NODE_ACTIONS.has(action))
        throw new WorkmeshError('WM_ERR_API_ROUTE_NOT_FOUND', `no node action ${action}`);
      // Only an exact live member id: a role name would pick some node of that role.
      if (!ctx.node.members().some((n) => n.id === id))
        throw new WorkmeshError('WM_ERR_CLUSTER_NO_NODE', `no live node ${id}`);
      const started = performance.now();
      const result = await ctx.node.call(id, action);
      request.log.info({ node: id, action }, 'node action from the console');
      return { node: id, action, result, ms: Math.round((performance.now() - started) * 10) / 10 };
    },
  );
}
