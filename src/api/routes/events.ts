import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { isFinalStatus, type JobEvent } from '../../job-schema/index.js';
import { getJob } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { openEventStream } from '../event-stream-reply.js';
import { checkedId } from '../job-id.js';
import { withRedis } from '../../http/index.js';
import { ErrorBody, IdParams } from '../schemas.js';

const KEEPALIVE_MS = 15_000;
/** After a failed read (Redis away or slow), the stream reads again after this, doubling. */
const READ_RETRY_MS = 250;
const READ_RETRY_MAX_MS = 5_000;

const EventsQuery = Type.Object(
  {
    lastEventId: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Same as the Last-Event-ID header' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * GET /api/events/<id>: the job's events as server-sent events (`accepted`, `pending`,
 * `progress`, then `done`, `failed` or `cancelled`, which ends the stream). Each event's id is
 * its number in the job's log, so a client that reconnects with Last-Event-ID gets exactly
 * the events it missed.
 */
export function eventsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof EventsQuery> }>(
    '/api/events/:id',
    {
      schema: {
        summary: "A job's events (server-sent events)",
        description:
          'text/event-stream of `{n, status, at, callback, ...}` events; resumable with Last-Event-ID; closed after the final event. Each final event carries `value` or `error`.',
        params: IdParams,
        querystring: EventsQuery,
        operationId: 'streamEvents',
        response: {
          200: {
            description: 'The event stream, closed after the final event',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '4xx': ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = checkedId(request.params.id);
      const header = request.headers['last-event-id'];
      let last = Number(
        typeof header === 'string' && /^\d+$/.test(header)
          ? header
          : (request.query.lastEventId ?? 0),
      );
      const read = () =>
        withRedis(ctx.redis, ctx.redisTimeoutMs, () => getJob(ctx.redis, ctx.keys, id));
      if (!(await read())) {
        throw new WorkmeshError(
          'WM_ERR_JOB_NOT_FOUND',
          `no job ${id}: unknown, or its result has expired`,
        );
      }
      const raw = openEventStream(reply);
      let ended = false;
      let running = false;
      let again = false;
      let retryMs = READ_RETRY_MS;
      let retryTimer: NodeJS.Timeout | undefined;
      const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
      const end = (): void => {
        if (ended) return;
        ended = true;
        unwatch?.();
        clearInterval(keepalive);
        clearTimeout(retryTimer);
        raw.end();
      };
      const send = (event: JobEvent, extra: Record<string, unknown>): void => {
        raw.write(
          `id: ${event.n}\nevent: ${event.status}\ndata: ${JSON.stringify({ callback: id, ...event, ...extra })}\n\n`,
        );
        last = event.n;
      };
      // Sends every logged event after `last`; one flush at a time, re-run if woken meanwhile.
      const flush = async (): Promise<void> => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            let job;
            try {
              job = await read();
            } catch (err) {
              // A failed read says nothing about the job: read again soon, never `gone`. The
              // keep-alives go on meanwhile; the client's own timeout, if any, decides.
              request.log.warn({ err: (err as Error).message }, 'event stream: read failed');
              retryTimer = setTimeout(() => void flush(), retryMs);
              retryMs = Math.min(retryMs * 2, READ_RETRY_MAX_MS);
              return;
            }
            retryMs = READ_RETRY_MS;
            if (!job) {
              if (!ended) raw.write('event: gone\ndata: {}\n\n');
              end();
              return;
            }
            for (const event of job.events ?? []) {
              if (event.n <= last || ended) continue;
              const final = isFinalStatus(event.status) && event.status === job.status;
              send(event, final ? { value: job.value, error: job.error } : {});
            }
            if (isFinalStatus(job.status)) end();
          } while (again && !ended);
        } finally {
          running = false;
        }
      };
      const unwatch = ctx.watcher?.watch(id, () => void flush());
      request.raw.once('close', end);
      await flush();
    },
  );
}
