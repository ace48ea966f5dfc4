import type { FastifyInstance } from 'fastify';
import { readMembers } from '../../cluster/index.js';
import { readClusterSnapshot } from '../../monitor/index.js';
import { withRedis } from '../../http/index.js';
import type { ApiContext } from '../context.js';
import { ClusterBody, ErrorBody, MonitorBody, TypesBody } from '../schemas.js';

/** Job types, health and readiness. */
export function metaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/types',
    {
      schema: {
        summary: 'Job types this API accepts',
        operationId: 'listTypes',
        response: { 200: TypesBody },
      },
    },
    () => ({
      types: ctx.registry.list().map((d) => ({
        name: d.name,
        description: d.description,
        input: d.input as unknown,
        ...(d.example === undefined ? {} : { example: d.example as unknown }),
      })),
    }),
  );
  app.get(
    '/api/cluster',
    {
      schema: {
        summary: 'The live cluster members',
        operationId: 'getCluster',
        description:
          'Every registered node (API, workers, monitors, shells) with its role, host, what it offers, its live figures and the age of its last heartbeat.',
        response: { 200: ClusterBody, 503: ErrorBody },
      },
    },
    async () => ({
      nodes: await withRedis(ctx.redis, ctx.redisTimeoutMs, () => readMembers(ctx.redis, ctx.keys)),
    }),
  );
  app.get(
    '/api/monitor',
    {
      schema: {
        summary: 'The cluster at a glance: nodes and queues',
        operationId: 'getMonitor',
        description:
          "The system monitor's read model as one read: the live members (as /api/cluster) and every queue's waiting, active, delayed and dead counts with its counters. Rates, history and membership events live in the monitor (`workmesh sysmon --json`, the console).",
        response: { 200: MonitorBody, 503: ErrorBody },
      },
    },
    async () =>
      withRedis(ctx.redis, ctx.redisTimeoutMs, () =>
        readClusterSnapshot(ctx.redis, ctx.keys, ctx.registry.queues()),
      ),
  );
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', hide: true } }, () => ({
    ok: true,
  }));
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis answers and this process is a registered cluster member',
        response: { 503: ErrorBody },
        hide: true,
      },
    },
    async (_request, reply) => {
      if (ctx.redis.status === 'ready') {
        // Bounded like any request: a Redis that hangs must not hang the readiness probe.
        const pong = await withRedis(ctx.redis, ctx.redisTimeoutMs, () => ctx.redis.ping()).catch(
          () => undefined,
        );
        if (pong === 'PONG') {
          if (ctx.registered === undefined || ctx.registered())
            return { ok: true, node: ctx.nodeId };
          return reply.status(503).send({
            error: {
              code: 'WM_ERR_NOT_REGISTERED',
              message: 'this node is not (or no longer) registered in the cluster',
            },
          });
        }
      }
      return reply.status(503).send({
        error: { code: 'WM_ERR_REDIS_UNAVAILABLE', message: 'Redis is unavailable' },
      });
    },
  );
}
