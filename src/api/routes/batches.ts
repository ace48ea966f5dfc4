import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import {
  addToBatch,
  closeBatch,
  openBatch,
  readBatch,
  type BatchStore,
  type FlowNodeInput,
} from '../../flow/index.js';
import { withRedis } from '../../http/index.js';
import { Submitter } from '../../submit/index.js';
import { countAccepted, type ApiContext } from '../context.js';
import { checkedId } from '../job-id.js';
import { ErrorBody, IdParams } from '../schemas.js';
import { tenantOf } from '../security.js';

// Jobs are checked by src/flow/ (each problem with its index and a catalogue code).
const Jobs = Type.Array(
  Type.Unknown({ description: 'A job: `{type, data, resultTtlSec?, maxAttempts?, ...}`' }),
);

const OpenBody = Type.Object(
  {
    callback: Type.Unknown({
      description:
        "The callback job, run once the batch is closed and every job in it is final: it reads the jobs' outcomes with ctx.children(). Give it a `callbackUrl` for a webhook when it is final.",
    }),
    jobs: Type.Optional(Jobs),
    close: Type.Optional(Type.Boolean({ description: 'Close the batch right after these jobs' })),
  },
  { additionalProperties: false },
);

const AddBody = Type.Object(
  { jobs: Jobs, close: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

const BatchAnswer = Type.Object({
  batch: Type.String({ description: "The batch's id: its callback job's callback id" }),
  ids: Type.Array(Type.String(), { description: 'The jobs added, in order' }),
  statusUrl: Type.String(),
});

const BatchState = Type.Object({
  id: Type.String(),
  status: Type.String({ description: "The callback job's status" }),
  open: Type.Boolean(),
  total: Type.Integer(),
  done: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  waiting: Type.Integer({ description: 'Jobs not final yet' }),
  value: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
});

function notFound(id: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_BATCH_NOT_FOUND', `no batch ${id}: unknown or expired`);
}

/** POST /api/batches, POST /api/batches/<id>/jobs, POST /api/batches/<id>/close, GET. */
export function batchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const store: BatchStore = {
    redis: ctx.redis,
    keys: ctx.keys,
    nodeId: ctx.nodeId,
    submitter: new Submitter(ctx),
  };
  const guard = <T>(fn: () => Promise<T>) => withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.post<{ Body: Static<typeof OpenBody> }>(
    '/api/batches',
    {
      schema: {
        summary: 'Open a batch',
        description:
          'A set of jobs with a callback job that runs once, when the batch is closed and all of them are final. Jobs may be added until it is closed.',
        body: OpenBody,
        response: { 202: BatchAnswer, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { callback, jobs, close } = request.body;
      const tenant = tenantOf(request);
      const opened = await guard(() =>
        openBatch(store, callback as FlowNodeInput, (jobs ?? []) as FlowNodeInput[], tenant),
      );
      countAccepted(ctx, [opened.id, ...opened.ids]); // its callback job too
      if (close) await guard(() => closeBatch(store, opened.id));
      return reply
        .status(202)
        .send({ batch: opened.id, ids: opened.ids, statusUrl: `/api/batches/${opened.id}` });
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AddBody> }>(
    '/api/batches/:id/jobs',
    {
      schema: {
        summary: 'Add jobs to an open batch',
        description: '409 once the batch is closed (nothing of the add runs).',
        params: IdParams,
        body: AddBody,
        response: { 202: BatchAnswer, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = checkedId(request.params.id);
      const { jobs, close } = request.body;
      if (!(await guard(() => readBatch(ctx.redis, ctx.keys, id)))) throw notFound(id);
      const ids = await guard(() =>
        addToBatch(store, id, jobs as FlowNodeInput[], tenantOf(request)),
      );
      countAccepted(ctx, ids);
      if (close) await guard(() => closeBatch(store, id));
      return reply.status(202).send({ batch: id, ids, statusUrl: `/api/batches/${id}` });
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/batches/:id/close',
    {
      schema: {
        summary: 'Close a batch',
        description:
          'No more jobs; the callback runs once every job in it is final (at once if they are). Idempotent.',
        params: IdParams,
        response: { 200: BatchState, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      if (!(await guard(() => closeBatch(store, id)))) throw notFound(id);
      const state = await guard(() => readBatch(ctx.redis, ctx.keys, id));
      if (!state) throw notFound(id);
      return state;
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/batches/:id',
    {
      schema: {
        summary: 'A batch',
        description:
          "Open or closed, its jobs' counts (total, done, failed, cancelled, waiting), and its callback job's status and value.",
        params: IdParams,
        response: { 200: BatchState, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      const state = await guard(() => readBatch(ctx.redis, ctx.keys, id));
      if (!state) throw notFound(id);
      return state;
    },
  );
}
