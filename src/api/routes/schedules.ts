import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { withRedis } from '../../http/index.js';
import {
  ScheduleSpecSchema,
  ScheduleViewSchema,
  getSchedule,
  listSchedules,
  pauseSchedule,
  removeSchedule,
  upsertSchedule,
  checkScheduleId,
  type ScheduleSpec,
  type ScheduleStore,
} from '../../schedule/index.js';
import { WorkmeshError } from '../../errors/index.js';
import type { ApiContext } from '../context.js';
import { ErrorBody } from '../schemas.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });

/** Schedules (docs/schedules.md): upsert, list, read one, remove, pause, resume. */
export function scheduleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const store: ScheduleStore = { redis: ctx.redis, keys: ctx.keys, registry: ctx.registry };
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.post<{ Body: ScheduleSpec }>(
    '/api/schedules',
    {
      schema: {
        summary: 'Create or replace a schedule',
        description:
          'Upsert by `id`: a schedule written again is replaced; its next tick is recomputed, and a tick it fired already is never fired again. Exactly one of `cron` (5 or 6 fields, `tz` an IANA zone) and `everyMs` (at least 1000). docs/schedules.md.',
        body: ScheduleSpecSchema,
        response: { 200: ScheduleViewSchema, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    (request) => guard(() => upsertSchedule(store, request.body)),
  );

  app.get(
    '/api/schedules',
    {
      schema: {
        summary: 'List schedules',
        response: {
          200: Type.Object({ schedules: Type.Array(ScheduleViewSchema) }),
          '4xx': ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async () => ({ schedules: await guard(() => listSchedules(store)) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/schedules/:id',
    {
      schema: {
        summary: 'Read a schedule',
        description: 'With its next 5 fire times (`upcoming`) and its latest runs.',
        params: IdParams,
        response: { 200: ScheduleViewSchema, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const id = checkScheduleId(request.params.id);
      const view = await guard(() => getSchedule(store, id));
      if (view === undefined) {
        throw new WorkmeshError('WM_ERR_SCHEDULE_NOT_FOUND', `no schedule ${JSON.stringify(id)}`);
      }
      return view;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/schedules/:id',
    {
      schema: {
        summary: 'Remove a schedule',
        description: 'Jobs it fired already stay.',
        params: IdParams,
        response: {
          200: Type.Object({ removed: Type.Literal(true) }),
          '4xx': ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      await guard(() => removeSchedule(store, request.params.id));
      return { removed: true as const };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/schedules/:id/${action}`,
      {
        schema: {
          summary: action === 'pause' ? 'Pause a schedule' : 'Resume a schedule',
          description:
            action === 'pause'
              ? 'No tick fires while paused.'
              : 'Fires again from its next tick after now; ticks passed while paused are not made up.',
          params: IdParams,
          response: { 200: ScheduleViewSchema, '4xx': ErrorBody, 503: ErrorBody },
        },
      },
      (request) => guard(() => pauseSchedule(store, request.params.id, action === 'pause')),
    );
  }
}
