import type { Logger } from '../log/index.js';
import { upsertSchedule, type ScheduleStore } from './store.js';

/**
 * Upserts the schedules of the registry's job types (`defineJob({ schedules })`), as the API
 * and every worker do when they start. An unchanged schedule is not written again (its `rev`
 * stays, no fire is refused); a bad one is logged and the others still go.
 */
export async function upsertDefinedSchedules(store: ScheduleStore, log: Logger): Promise<number> {
  let n = 0;
  for (const def of store.registry.list()) {
    for (const schedule of def.schedules ?? []) {
      try {
        await upsertSchedule(store, { ...schedule, type: def.name });
        n++;
      } catch (err) {
        log.error(
          { type: def.name, scheduleId: schedule.id, err: (err as Error).message },
          'schedule of a job definition refused',
        );
      }
    }
  }
  return n;
}
