import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import { followJob, getJob } from '../../queue/index.js';
import type { ApiContext } from '../context.js';
import { openEventStream } from '../event-stream-reply.js';
import { checkedId } from '../job-id.js';
import { withRedis } from '../../http/index.js';
import { ErrorBody, IdParams } from '../schemas.js';

const KEEPALIVE_MS = 15_000;

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
      const last = Number(
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
      const closed = new AbortController();
      request.raw.once('close', () => closed.abort());
      const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
      try {
        for await (const event of followJob(id, {
          read,
          watcher: ctx.watcher,
          after: last,
          signal: closed.signal,
          // The keep-alives go on meanwhile; the client's own timeout, if any, decides.
          onReadError: (err) =>
            request.log.warn({ err: (err as Error).message }, 'event stream: read failed'),
        })) {
          if ('gone' in event) raw.write('event: gone\ndata: {}\n\n');
          else
            raw.write(`id: ${event.n}\nevent: ${event.status}\ndata: ${JSON.stringify(event)}\n\n`);
        }
      } finally {
        clearInterval(keepalive);
        raw.end();
      }
    },
  );
}
