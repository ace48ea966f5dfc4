import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { cancelById } from '../../queue/index.js';
import { Submitter, submissionOf } from '../../submit/index.js';
import type { ApiContext } from '../context.js';
import { BODY_OPTIONAL } from '../openapi.js';
import { withRedis, setRetryKey } from '../../http/index.js';
import { tenantOf } from '../security.js';
import { requestTrace } from '../../tracing/index.js';
import { acceptedAnswer, workBatchRoute } from './work-batch.js';
import {
  Accepted,
  Cancelled,
  ErrorBody,
  IdParams,
  WorkBody,
  WorkHeaders,
  WorkQuery,
} from '../schemas.js';

const DEFAULT_TYPE = 'permute';

/** POST /api/work (the seed's `?data=` form and the JSON form) and DELETE /api/work/<id>. */
export function workRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const submitter = new Submitter(ctx);
  app.post<{
    Querystring: Static<typeof WorkQuery>;
    Body: Static<typeof WorkBody> | undefined;
    Headers: Static<typeof WorkHeaders>;
  }>(
    '/api/work',
    {
      schema: {
        summary: 'Submit work',
        operationId: 'submitWork',
        description:
          'Queues a job and answers its callback id at once. `?data=...` is the seed form (job type from `?type=`, default permute); a JSON body `{type, data, ...}` is the rich form. An `Idempotency-Key` header (or `key` field) makes a resend answer the same job (200, `duplicate: true`); the same key with other data answers 422. A 5xx answer carries an `Idempotency-Key` header: resend with it and the job is never made twice. `priority` and `group` place the job; `dedupe` {key, ttlSec, mode} gives it a deduplication window: a job the window answers is 200 with `deduplicated: true`.',
        querystring: WorkQuery,
        body: WorkBody,
        [BODY_OPTIONAL]: true,
        headers: WorkHeaders,
        response: { 200: Accepted, 202: Accepted, '4xx': ErrorBody, 503: ErrorBody },
      },
      // The seed's form has no body at all; validate it as an empty object.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request, reply) => {
      const { query, headers } = request;
      const body = request.body ?? {};
      if (body.data !== undefined && query.data !== undefined) {
        throw new WorkmeshError(
          'WM_ERR_API_AMBIGUOUS_DATA',
          'data given both in the query string and the body',
        );
      }
      const data: unknown = body.data ?? query.data;
      if (data === undefined) {
        throw new WorkmeshError(
          'WM_ERR_API_NO_DATA',
          'no work data: use ?data=... or a JSON body {"type": ..., "data": ...}',
        );
      }
      const type = body.type ?? query.type ?? DEFAULT_TYPE;
      const key = body.key ?? headers['idempotency-key'];
      // The id is fixed before anything is written: a 5xx answer carries the key that makes
      // a resend name this job again (http's retry keys).
      if (key !== undefined) setRetryKey(request, key);
      const submitted = await submitter.submit(
        // The seed's query form fills what the JSON body leaves out.
        submissionOf(
          body,
          { type, data, tenant: tenantOf(request), trace: requestTrace(request.raw.headers) },
          {
            key,
            resultTtlSec: query.resultTtlSec,
            priority: query.priority,
            group: query.group,
          },
        ),
        (retryKey: string) => setRetryKey(request, retryKey),
      );
      const answer = acceptedAnswer(type, submitted);
      return reply.status(submitted.created ? 202 : 200).send(answer);
    },
  );

  workBatchRoute(app, submitter);

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/work/:id',
    {
      schema: {
        summary: 'Cancel a job',
        operationId: 'cancelJob',
        description:
          'A queued or delayed job never runs; a running job is aborted (its AbortSignal fires on the worker that runs it) and its result discarded. 409 if the job is final already.',
        params: IdParams,
        response: { 200: Cancelled, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    (request) =>
      cancelById(ctx.redis, ctx.keys, request.params.id, ctx.notify, (fn) =>
        withRedis(ctx.redis, ctx.redisTimeoutMs, fn),
      ),
  );
}
