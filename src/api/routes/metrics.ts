import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

/** GET /metrics: Prometheus text format; outside /api and the OpenAPI document, like /healthz. */
export function metricsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { metrics } = ctx;
  if (!metrics) return;
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics of this API process', hide: true } },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.contentType()).send(text);
    },
  );
}
