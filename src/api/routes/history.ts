import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import {
  HISTORY_STEPS,
  historyRange,
  MAX_HISTORY_POINTS,
  historyPage,
} from '../../history/index.js';
import { withRedis } from '../../http/index.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, TypeName } from '../schemas.js';

const Time = (what: string) =>
  Type.String({
    maxLength: 40,
    description: `${what}: ms since the epoch or ISO 8601 (2026-12-02T14:00:00Z)`,
  });

export const HistoryQuerySchema = Type.Object({
  type: Type.Optional(TypeName),
  from: Type.Optional(Time('Start (default: an hour before `to`)')),
  to: Type.Optional(Time('End (default: now)')),
  step: Type.Optional(
    Type.Union(
      Object.keys(HISTORY_STEPS).map((s) => Type.Literal(s)),
      { description: 'Width of each point (default 1m)' },
    ),
  ),
});

const Ms = (what: string) =>
  Type.Union([Type.Number(), Type.Null()], {
    description: `${what}, ms (within about 9 %); null: no job in the step`,
  });

export const HistoryPointSchema = Type.Object({
  at: Type.String({ format: 'date-time', description: 'Start of the step' }),
  accepted: Type.Integer({ description: 'Jobs accepted by the API processes and the console' }),
  done: Type.Integer({ description: 'Jobs done' }),
  failed: Type.Integer({ description: 'Jobs failed for good' }),
  waitP50Ms: Ms('Median wait of the jobs started (entry in the queue → start)'),
  waitP95Ms: Ms('95th percentile of the wait'),
  runP50Ms: Ms('Median run time of the attempts ended'),
  runP95Ms: Ms('95th percentile of the run time'),
});

export const HistorySchema = Type.Object({
  type: Type.Union([TypeName, Type.Null()], { description: 'null: every type together' }),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  step: Type.String(),
  points: Type.Array(HistoryPointSchema),
});

/** GET /api/metrics/history: per-minute figures kept in Redis 14 days (docs/operations.md). */
export function historyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: Static<typeof HistoryQuerySchema> }>(
    '/api/metrics/history',
    {
      schema: {
        summary: 'Metrics history of a job type, or of all',
        description: `Per step: jobs accepted, done and failed, and the p50/p95 of their wait and run times, from the per-minute figures every API and worker process adds to Redis (kept 14 days). Steps are aligned on the epoch (UTC); every step of the range is answered, zero when nothing happened. The range is 15 days and ${MAX_HISTORY_POINTS} steps at most. 400 WM_ERR_API_BAD_REQUEST for a bad time, range or step; 404 WM_ERR_QUEUE_UNKNOWN_TYPE for a type this API does not know.`,
        querystring: HistoryQuerySchema,
        response: { 200: HistorySchema, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { type } = request.query;
      if (type !== undefined && !ctx.registry.get(type))
        throw new WorkmeshError(
          'WM_ERR_QUEUE_UNKNOWN_TYPE',
          `no job type ${JSON.stringify(type)}`,
          {
            details: { known: ctx.registry.list().map((d) => d.name) },
          },
        );
      const range = historyRange(request.query);
      const types = ctx.registry.list().map((d) => d.name);
      return withRedis(ctx.redis, ctx.redisTimeoutMs, () =>
        historyPage(ctx.redis, ctx.keys, types, type, range),
      );
    },
  );
}
