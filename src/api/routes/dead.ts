import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { JobStateSchema, type JobView } from '../../job-schema/index.js';
import { buryDead, listDead, reviveDead } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { checkedId } from '../job-id.js';
import { withRedis, mintRetryKey, mintedValue, setRetryKey } from '../../http/index.js';
import { DeadQuery, ErrorBody, TypeQuery } from '../schemas.js';

const Count = (name: string) => Type.Object({ [name]: Type.Integer() });

/**
 * The cutoff of a dead-letter retry: only letters dead by then are revived. From the request's
 * `Idempotency-Key` when it is one this API made (a resend after a 5xx), else now; either way
 * the key for a resend is set before anything is written.
 */
function retryCutoff(request: FastifyRequest): number {
  const header = request.headers['idempotency-key'];
  const minted = typeof header === 'string' ? mintedValue(header) : undefined;
  const until = minted !== undefined && /^\d{1,15}$/.test(minted) ? Number(minted) : Date.now();
  setRetryKey(request, mintRetryKey(String(until)));
  return until;
}

/** Dead letters: list, retry one or all, purge one or all. */
export function deadRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);
  // A type this API no longer knows may still have dead letters: any well-formed name goes.
  // A partitioned type's dead letters are in each of its queues.
  const typesOf = (type: string | undefined): string[] => {
    if (type === undefined) return ctx.registry.queues();
    const queues = ctx.registry.queuesOf(type);
    return queues.length > 0 ? queues : [type];
  };

  app.get<{ Querystring: Static<typeof DeadQuery> }>(
    '/api/dead',
    {
      schema: {
        summary: 'List dead letters',
        operationId: 'listDeadLetters',
        description:
          'Jobs that failed for good, newest first, with their error history. All types unless `type` is given.',
        querystring: DeadQuery,
        response: {
          200: Type.Object({ total: Type.Integer(), jobs: Type.Array(JobStateSchema) }),
          '4xx': ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const { offset = 0, limit = 50 } = request.query;
      let total = 0;
      let jobs: JobView[] = [];
      for (const queue of typesOf(request.query.type)) {
        const page = await guard(() => listDead(ctx.redis, ctx.keys, queue, 0, offset + limit));
        total += page.total;
        jobs = jobs.concat(page.jobs);
      }
      jobs.sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
      return { total, jobs: jobs.slice(offset, offset + limit) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/dead/:id/retry',
    {
      schema: {
        summary: 'Retry a dead letter',
        operationId: 'retryDeadLetter',
        description: 'Puts the job back in its queue with a fresh set of attempts.',
        params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
        response: { 202: Count('retried'), '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id, queue } = checkedId(request.params.id);
      const until = retryCutoff(request);
      const retried = await guard(() => reviveDead(ctx.redis, ctx.keys, queue, [id], until));
      if (retried === 0) throw new WorkmeshError('WM_ERR_DEAD_NOT_FOUND', `no dead letter ${id}`);
      return reply.status(202).send({ retried });
    },
  );

  app.post<{ Querystring: Static<typeof TypeQuery> }>(
    '/api/dead/retry',
    {
      schema: {
        summary: 'Retry all dead letters',
        operationId: 'retryAllDeadLetters',
        description: 'Of one type (`?type=`) or of every type.',
        querystring: TypeQuery,
        response: { 202: Count('retried'), '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      let retried = 0;
      const until = retryCutoff(request);
      for (const queue of typesOf(request.query.type)) {
        retried += await guard(() => reviveDead(ctx.redis, ctx.keys, queue, undefined, until));
      }
      return reply.status(202).send({ retried });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/dead/:id',
    {
      schema: {
        summary: 'Purge a dead letter',
        operationId: 'purgeDeadLetter',
        params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
        response: { 200: Count('purged'), '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id, queue } = checkedId(request.params.id);
      const purged = await guard(() => buryDead(ctx.redis, ctx.keys, queue, [id]));
      if (purged === 0) throw new WorkmeshError('WM_ERR_DEAD_NOT_FOUND', `no dead letter ${id}`);
      return { purged };
    },
  );

  app.delete<{ Querystring: Static<typeof TypeQuery> }>(
    '/api/dead',
    {
      schema: {
        summary: 'Purge all dead letters',
        operationId: 'purgeAllDeadLetters',
        description: 'Of one type (`?type=`) or of every type.',
        querystring: TypeQuery,
        response: { 200: Count('purged'), '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      let purged = 0;
      for (const queue of typesOf(request.query.type)) {
        purged += await guard(() => buryDead(ctx.redis, ctx.keys, queue));
      }
      return { purged };
    },
  );
}
