import type { IncomingMessage } from 'node:http';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { JobStateSchema } from '../../job-schema/index.js';
import { getJobStatus, type JobWatcher } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { checkedId } from '../job-id.js';
import { withRedis } from '../../http/index.js';
import { ErrorBody, IdParams } from '../schemas.js';

const StatusQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 60,
        description:
          'Long-poll: answer as soon as the job is final, or after this many seconds with its current status',
      }),
    ),
  },
  { additionalProperties: false },
);

// The input and the event log are left out (not even read).
function readStatus(ctx: ApiContext, id: string): ReturnType<typeof getJobStatus> {
  return withRedis(ctx.redis, ctx.redisTimeoutMs, () => getJobStatus(ctx.redis, ctx.keys, id));
}

/** A long-poll: the abort signal and its close listener only for requests that wait. */
function untilFinal(
  ctx: ApiContext,
  watcher: JobWatcher,
  id: string,
  waitMs: number,
  raw: IncomingMessage,
): ReturnType<typeof getJobStatus> {
  const closed = new AbortController();
  raw.once('close', () => closed.abort());
  return watcher.untilFinal(id, () => readStatus(ctx, id), waitMs, closed.signal);
}

/** GET /api/status/<id>: the job's status and, once done, its value; 404 after its TTL. */
export function statusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof StatusQuery> }>(
    '/api/status/:id',
    {
      schema: {
        summary: 'Status of a job',
        operationId: 'getStatus',
        description:
          '`accepted` (queued), `pending` (a worker is on it), `done` (with `value`), `failed` (with `error`) or `cancelled`. 404 once the result TTL has passed. With `?wait=<seconds>`, answers as soon as the job is final (long-poll).',
        params: IdParams,
        querystring: StatusQuery,
        response: { 200: JobStateSchema, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      const waitMs = (request.query.wait ?? 0) * 1000;
      const job =
        waitMs > 0 && ctx.watcher
          ? await untilFinal(ctx, ctx.watcher, id, waitMs, request.raw)
          : await readStatus(ctx, id);
      if (!job) {
        throw new WorkmeshError(
          'WM_ERR_JOB_NOT_FOUND',
          `no job ${id}: unknown, or its result has expired`,
        );
      }
      return job;
    },
  );
}
