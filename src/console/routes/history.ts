import type { FastifyInstance } from 'fastify';
import { historyRange, historyPage, type HistoryQuery } from '../../history/index.js';
import { withRedis } from '../../http/index.js';
import type { ConsoleContext } from '../context.js';
import { checkedType, queuesOfType } from './data.js';

/**
 * The metrics history page's data: what GET /api/metrics/history answers, for one type or
 * every type the console knows (docs/console.md, "History").
 */
export function historyRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: HistoryQuery & { type?: string } }>(
    '/console/api/history',
    async (request) => {
      const type = checkedType(request.query.type || undefined);
      if (type !== undefined) queuesOfType(ctx, type); // 404 for a type it does not know
      const range = historyRange(request.query);
      const types = ctx.registry.list().map((d) => d.name);
      return withRedis(ctx.redis, ctx.redisTimeoutMs, () =>
        historyPage(ctx.redis, ctx.keys, types, type, range),
      );
    },
  );
}
