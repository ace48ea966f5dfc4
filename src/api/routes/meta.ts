import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { ErrorBody, TypesBody } from '../schemas.js';

/** Job types, health and readiness. */
export function metaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/types',
    { schema: { summary: 'Job types this API accepts', response: { 200: TypesBody } } },
    () => ({
      types: ctx.registry.list().map((d) => ({
        name: d.name,
        description: d.description,
        input: d.input as unknown,
        ...(d.example === undefined ? {} : { example: d.example as unknown }),
      })),
    }),
  );
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', hide: true } }, () => ({
    ok: true,
  }));
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis is reachable',
        response: { 503: ErrorBody },
        hide: true,
      },
    },
    async (_request, reply) => {
      if (ctx.redis.status === 'ready') {
        const pong = await ctx.redis.ping().catch(() => undefined);
        if (pong === 'PONG') return { ok: true, node: ctx.nodeId };
      }
      return reply.status(503).send({
        error: { code: 'WM_ERR_REDIS_UNAVAILABLE', message: 'Redis is unavailable' },
      });
    },
  );
}
