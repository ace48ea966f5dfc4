import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { getJob, type JobView } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { checkedId } from '../job-id.js';
import { isFinalStatus } from '../job-watcher.js';
import { withRedis } from '../redis-guard.js';
import { ErrorBody, IdParams, JobStatusBody } from '../schemas.js';

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

/** The status as the API shows it: the input and the event log are left out. */
function publicView(job: JobView): Omit<JobView, 'data' | 'events'> {
  const { data, events, ...view } = job;
  return view;
}

/**
 * Resolves once the job is final or the deadline passes, woken by the job's events (never by
 * polling Redis); then answers its state as Redis has it.
 */
async function waitForFinal(
  ctx: ApiContext,
  id: string,
  waitMs: number,
  signal: AbortSignal,
): Promise<JobView | undefined> {
  const { watcher } = ctx;
  const read = (): Promise<JobView | undefined> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, () => getJob(ctx.redis, ctx.keys, id));
  if (!watcher) return read();
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  // Watch first, then read: an event between the two is not missed.
  const unwatch = watcher.watch(id, (_n, status) => {
    if (isFinalStatus(status)) wake();
  });
  const timer = setTimeout(wake, waitMs);
  signal.addEventListener('abort', wake, { once: true });
  try {
    const first = await read();
    if (!first || isFinalStatus(first.status)) return first;
    await woken;
    return await read();
  } finally {
    unwatch();
    clearTimeout(timer);
    signal.removeEventListener('abort', wake);
  }
}

/** GET /api/status/<id>: the job's status and, once done, its value; 404 after its TTL. */
export function statusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof StatusQuery> }>(
    '/api/status/:id',
    {
      schema: {
        summary: 'Status of a job',
        description:
          '`accepted` (queued), `pending` (a worker is on it), `done` (with `value`), `failed` (with `error`) or `cancelled`. 404 once the result TTL has passed. With `?wait=<seconds>`, answers as soon as the job is final (long-poll).',
        params: IdParams,
        querystring: StatusQuery,
        response: { 200: JobStatusBody, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      const waitMs = (request.query.wait ?? 0) * 1000;
      const closed = new AbortController();
      request.raw.once('close', () => closed.abort());
      const job =
        waitMs > 0
          ? await waitForFinal(ctx, id, waitMs, closed.signal)
          : await withRedis(ctx.redis, ctx.redisTimeoutMs, () => getJob(ctx.redis, ctx.keys, id));
      if (!job) {
        throw new WorkmeshError(
          'WM_ERR_JOB_NOT_FOUND',
          `no job ${id}: unknown, or its result has expired`,
        );
      }
      return publicView(job);
    },
  );
}
