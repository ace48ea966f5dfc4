import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { Accepted, ErrorBody, WorkBody, WorkQuery } from '../schemas.js';
import type { ApiContext } from '../context.js';
import { withRedis } from '../redis-guard.js';

const DEFAULT_TYPE = 'permute';

/** POST /api/work: the seed's `?data=` form and the JSON form `{type, data, resultTtlSec}`. */
export function workRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Querystring: Static<typeof WorkQuery>; Body: Static<typeof WorkBody> | undefined }>(
    '/api/work',
    {
      schema: {
        summary: 'Submit work',
        description:
          'Queues a job and answers its callback id at once. `?data=...` is the seed form (job type from `?type=`, default permute); a JSON body `{type, data}` is the rich form.',
        querystring: WorkQuery,
        body: WorkBody,
        response: { 202: Accepted, '4xx': ErrorBody, 503: ErrorBody },
      },
      // The seed's form has no body at all; validate it as an empty object.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request, reply) => {
      const { query, body } = request;
      if (body?.data !== undefined && query.data !== undefined) {
        throw new WorkmeshError(
          'WM_ERR_API_AMBIGUOUS_DATA',
          'data given both in the query string and the body',
        );
      }
      const data: unknown = body?.data ?? query.data;
      if (data === undefined) {
        throw new WorkmeshError(
          'WM_ERR_API_NO_DATA',
          'no work data: use ?data=... or a JSON body {"type": ..., "data": ...}',
        );
      }
      const type = body?.type ?? query.type ?? DEFAULT_TYPE;
      const definition = ctx.registry.validate(type, data);
      const resultTtlSec =
        body?.resultTtlSec ??
        query.resultTtlSec ??
        definition.resultTtlSec ??
        ctx.config.resultTtlSec;
      const { id } = await withRedis(ctx.redis, ctx.redisTimeoutMs, () =>
        ctx.producer.enqueue({ type, data, resultTtlSec, maxAttempts: 1 }),
      );
      return reply
        .status(202)
        .send({ callback: id, status: 'accepted', type, statusUrl: `/api/status/${id}` });
    },
  );
}
