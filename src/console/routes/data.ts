import type { FastifyInstance } from 'fastify';
import { withRedis } from '../../http/index.js';
import { WorkmeshError } from '../../errors/index.js';
import { isFinalStatus } from '../../job-schema/index.js';
import type { MonitorSnapshot } from '../../monitor/index.js';
import { readFlow } from '../../flow/index.js';
import { getJob, listDead, readQueueState } from '../../queue/index.js';
import { JOB_ID_RE, TYPE_NAME_RE } from '../../redis/index.js';
import { listSchedules } from '../../schedule/index.js';
import type { ConsoleContext } from '../context.js';

const KEEPALIVE_MS = 15_000;

export function checkedJobId(id: string): string {
  if (!JOB_ID_RE.test(id))
    throw new WorkmeshError('WM_ERR_API_BAD_ID', 'a callback id is `<type>.<16 characters>`');
  return id;
}

/** The queues of a type the console knows; 404 WM_ERR_QUEUE_UNKNOWN_TYPE otherwise. */
export function queuesOfType(ctx: ConsoleContext, type: string): string[] {
  const queues = ctx.registry.queuesOf(type);
  if (queues.length === 0)
    throw new WorkmeshError('WM_ERR_QUEUE_UNKNOWN_TYPE', `no job type ${JSON.stringify(type)}`);
  return queues;
}

export function checkedType(type: string | undefined): string | undefined {
  if (type !== undefined && !TYPE_NAME_RE.test(type))
    throw new WorkmeshError('WM_ERR_JOB_UNKNOWN_TYPE', `no job type ${JSON.stringify(type)}`);
  return type;
}

/** What the pages read: the monitor's snapshot (once and live), jobs, dead letters, types. */
export function dataRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const redis = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.get('/console/api/snapshot', () => ctx.monitor.snapshot());

  // Live streams never end on their own: closing the app (its own, or the app the console is
  // mounted in) ends them first.
  const streams = new Set<{ end(): unknown }>();
  app.addHook('preClose', (done) => {
    for (const raw of streams) raw.end();
    done();
  });

  // Server-sent events: the whole snapshot after every read of the monitor.
  app.get('/console/api/stream', (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    streams.add(raw);
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    const write = (s: MonitorSnapshot): void => {
      raw.write(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`);
    };
    write(ctx.monitor.snapshot());
    ctx.monitor.on('snapshot', write);
    const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    request.raw.once('close', () => {
      streams.delete(raw);
      clearInterval(keepalive);
      ctx.monitor.off('snapshot', write);
    });
  });

  app.get('/console/api/types', () => ({
    types: ctx.registry.list().map((d) => ({
      name: d.name,
      description: d.description,
      ...(d.example === undefined ? {} : { example: d.example as unknown }),
    })),
  }));

  // Each job type's queue as GET /api/queues answers it (paused, waiting by priority, limits).
  app.get('/console/api/queues', async () => ({
    queues: await redis(() =>
      Promise.all(
        ctx.registry
          .list()
          .map((d) => readQueueState(ctx.redis, ctx.keys, d.name, ctx.registry.queuesOf(d.name))),
      ),
    ),
  }));
  app.get<{ Params: { type: string } }>('/console/api/queues/:type', async (request) => {
    const type = request.params.type;
    const queues = queuesOfType(ctx, type);
    return redis(() => readQueueState(ctx.redis, ctx.keys, type, queues));
  });

  app.get<{ Params: { id: string } }>('/console/api/jobs/:id', async (request) => {
    const id = checkedJobId(request.params.id);
    const job = await redis(() => getJob(ctx.redis, ctx.keys, id));
    if (!job) throw new WorkmeshError('WM_ERR_JOB_NOT_FOUND', `no job ${id}: unknown or expired`);
    // `final`: the page stops rereading a job that can change no more (the one list of final
    // statuses is job-schema's; the page keeps none of its own).
    return { ...job, final: isFinalStatus(job.status) };
  });

  // The schedules page: each with its status, next fire time and last run.
  app.get('/console/api/schedules', async () => ({
    schedules: await redis(() =>
      listSchedules({ redis: ctx.redis, keys: ctx.keys, registry: ctx.registry }),
    ),
  }));

  app.get<{ Params: { id: string } }>('/console/api/flows/:id', async (request) => {
    const id = checkedJobId(request.params.id);
    const tree = await redis(() => readFlow(ctx.redis, ctx.keys, id));
    if (!tree)
      throw new WorkmeshError('WM_ERR_FLOW_NOT_FOUND', `no flow ${id}: unknown or expired`);
    return tree;
  });

  app.get<{ Querystring: { type?: string } }>('/console/api/dead', async (request) => {
    const only = checkedType(request.query.type);
    const queues = only ? [only] : ctx.monitor.snapshot().queues.map((q) => q.queue);
    const pages = await redis(() =>
      Promise.all(queues.map((q) => listDead(ctx.redis, ctx.keys, q, 0, 100))),
    );
    return {
      queues: queues.map((queue, i) => ({ queue, total: pages[i]!.total, jobs: pages[i]!.jobs })),
    };
  });
}
