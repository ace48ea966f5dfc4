/** Schedules: cron and fixed-interval jobs, fired once per tick by whichever processes live. */
export {
  ScheduleSpecSchema,
  checkSchedule,
  checkScheduleId,
  MIN_EVERY_MS,
  DEFAULT_MISSED_CAP,
  MAX_MISSED_CAP,
  SCHEDULE_ID_RE,
  type ScheduleSpec,
  type ScheduleDefinition,
} from './definition.js';
export {
  ticksOf,
  firstTick,
  upcoming,
  planFire,
  LATE_MS,
  type FirePlan,
  type Ticks,
} from './ticks.js';
export { scheduleQueue, scheduledJobId, redisNow } from './place.js';
export {
  upsertSchedule,
  removeSchedule,
  pauseSchedule,
  getSchedule,
  listSchedules,
  type ScheduleStore,
} from './store.js';
export { ScheduleViewSchema, ScheduleRunSchema, type ScheduleView } from './view.js';
export { fireDue, type FireContext, type FireOutcome } from './fire.js';
export { Scheduler, SCHEDULER_POLL_MS, type SchedulerOptions } from './scheduler.js';
export { upsertDefinedSchedules } from './upsert-defined.js';
export { startScheduling, type SchedulingHandle, type StartSchedulingOptions } from './start.js';
export { scheduleLags } from './lags.js';
