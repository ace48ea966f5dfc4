import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { defineJob } from '../../src/jobs/index.js';

/**
 * The chaos run's job: logs each execution outside Redis, works for data.ms, then logs that
 * this run of the handler finished. With data.stallMs, its first start blocks the worker's
 * event loop that long first (a CPU-bound handler, a long GC pause).
 */
export default defineJob({
  name: 'chaos',
  description:
    'Appends "<id> <pid> <attempt> <ms since epoch>" to data.file, stalls its event loop data.stallMs on its first start, sleeps data.ms, then appends "finished <id>".',
  input: Type.Object({
    file: Type.String(),
    ms: Type.Integer({ minimum: 0, maximum: 60_000 }),
    stallMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  }),
  async handler(data, ctx) {
    appendFileSync(data.file, `${ctx.id} ${process.pid} ${ctx.attempt} ${Date.now()}\n`);
    if (data.stallMs && ctx.attempt === 1) {
      const end = Date.now() + data.stallMs;
      while (Date.now() < end); // no await: the worker's heartbeat and renewals stop too
    }
    await sleep(data.ms, undefined, { signal: ctx.signal });
    appendFileSync(data.file, `finished ${ctx.id}\n`);
    return ctx.attempt;
  },
});
