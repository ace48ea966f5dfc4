import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { defineJob } from '../../src/jobs/index.js';

/** The chaos run's job: logs each execution outside Redis, then works for data.ms. */
export default defineJob({
  name: 'chaos',
  description: 'Appends "<id> <pid> <attempt> <ms since epoch>" to data.file, then sleeps data.ms.',
  input: Type.Object({ file: Type.String(), ms: Type.Integer({ minimum: 0, maximum: 60_000 }) }),
  async handler(data, ctx) {
    appendFileSync(data.file, `${ctx.id} ${process.pid} ${ctx.attempt} ${Date.now()}\n`);
    await sleep(data.ms, undefined, { signal: ctx.signal });
    return ctx.attempt;
  },
});
