import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { withRedis } from '../../http/index.js';
import {
  checkLimits,
  pauseQueues,
  readQueueState,
  resumeQueues,
  setQueueLimits,
} from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, LimitsChangeBody, QueueStateSchema, QueueTypeParams } from '../schemas.js';

/** GET /api/queues (every type's state), pause, resume and limits of a type (docs/queues.md). */
export function queueRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);
  /** The type's queues; 404 for a type this API does not know (checked before any write). */
  const queuesOf = (type: string): string[] => {
    const queues = ctx.registry.queuesOf(type);
    if (queues.length === 0)
      throw new WorkmeshError('WM_ERR_QUEUE_UNKNOWN_TYPE', `no job type ${JSON.stringify(type)}`, {
        details: { known: ctx.registry.list().map((d) => d.name) },
      });
    return queues;
  };
  const state = (type: string) =>
    guard(() => readQueueState(ctx.redis, ctx.keys, type, queuesOf(type)));
  const one = { 200: QueueStateSchema, '4xx': ErrorBody, 503: ErrorBody };

  app.get(
    '/api/queues',
    {
      schema: {
        summary: "Every job type's queue: state, limits, what they hold back",
        description:
          'Per type (all its partitions together): paused, waiting (total and by priority), active, delayed, dead, its limits and the waiting jobs each control holds back now.',
        response: {
          200: Type.Object({ queues: Type.Array(QueueStateSchema) }),
          503: ErrorBody,
        },
      },
    },
    async () => ({
      queues: await Promise.all(ctx.registry.list().map((d) => state(d.name))),
    }),
  );

  app.get<{ Params: Static<typeof QueueTypeParams> }>(
    '/api/queues/:type',
    {
      schema: {
        summary: "One job type's queue",
        params: QueueTypeParams,
        response: one,
      },
    },
    (request) => state(request.params.type),
  );

  app.post<{ Params: Static<typeof QueueTypeParams> }>(
    '/api/queues/:type/pause',
    {
      schema: {
        summary: 'Pause a job type',
        description:
          'Every worker stops starting its jobs (within a second); running jobs finish; submissions are still accepted and wait. Stays paused across restarts until resumed. Answers the queue.',
        params: QueueTypeParams,
        response: one,
      },
    },
    async (request) => {
      const type = request.params.type;
      await guard(() => pauseQueues(ctx.redis, ctx.keys, queuesOf(type)));
      request.log.info({ type }, 'queue paused');
      return state(type);
    },
  );

  app.post<{ Params: Static<typeof QueueTypeParams> }>(
    '/api/queues/:type/resume',
    {
      schema: {
        summary: 'Resume a paused job type',
        description: 'Workers start its waiting jobs again at once. Answers the queue.',
        params: QueueTypeParams,
        response: one,
      },
    },
    async (request) => {
      const type = request.params.type;
      await guard(() => resumeQueues(ctx.redis, ctx.keys, queuesOf(type)));
      request.log.info({ type }, 'queue resumed');
      return state(type);
    },
  );

  app.put<{ Params: Static<typeof QueueTypeParams>; Body: Static<typeof LimitsChangeBody> }>(
    '/api/queues/:type/limits',
    {
      schema: {
        summary: "Change a job type's limits",
        description:
          "A value sets a limit, `null` removes it, an absent field keeps it. A partitioned type's limit is split evenly over its partitions (ceil, at least 1). Holds until the next start of a worker or API whose definition of the type has `limits` (the definition wins at deploy). 400 `WM_ERR_QUEUE_BAD_LIMIT` for a limit out of range (nothing changed). Answers the queue.",
        params: QueueTypeParams,
        body: LimitsChangeBody,
        response: one,
      },
    },
    async (request) => {
      const type = request.params.type;
      const queues = queuesOf(type);
      const change = checkLimits(request.body);
      const limits = await guard(() => setQueueLimits(ctx.redis, ctx.keys, queues, change));
      request.log.info({ type, limits }, 'queue limits changed');
      return state(type);
    },
  );
}
