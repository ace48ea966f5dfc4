import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { getJob } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { withRedis } from '../redis-guard.js';
import { checkedId } from '../job-id.js';
import { ErrorBody, IdParams, JobStatusBody } from '../schemas.js';

/** GET /api/status/<id>: the job's status and, once done, its value; 404 after its TTL. */
export function statusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/status/:id',
    {
      schema: {
        summary: 'Status of a job',
        description:
          '`accepted` (queued), `pending` (a worker is on it), `done` (with `value`), `failed` (with `error`) or `cancelled`. 404 once the result TTL has passed.',
        params: IdParams,
        response: { 200: JobStatusBody, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      const job = await withRedis(ctx.redis, ctx.redisTimeoutMs, () =>
        getJob(ctx.redis, ctx.keys, id),
      );
      if (!job) {
        throw new WorkmeshError(
          'WM_ERR_JOB_NOT_FOUND',
          `no job ${id}: unknown, or its result has expired`,
        );
      }
      const { data, ...view } = job;
      return view;
    },
  );
}
