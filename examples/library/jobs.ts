/**
 * A TypeScript job module: what a worker loads (WORKMESH_JOBS=examples/library/jobs.ts, or
 * `startWorker({ jobs })`) and what a producer types itself with
 * (`new Queue({ jobs })`).
 */
import { Type, defineJob, type JobTypesOf } from 'workmesh/jobs';

export const resize = defineJob({
  name: 'resize',
  description: 'Pretends to resize an image: answers its new size.',
  input: Type.Object({
    url: Type.String({ format: 'uri' }),
    width: Type.Integer({ minimum: 1, maximum: 10_000 }),
  }),
  async handler(data, ctx) {
    await ctx.progress({ step: 'fetched' });
    await ctx.addLog(`resizing ${data.url} to ${data.width} px`); // kept with the job
    return { url: data.url, width: data.width, height: Math.round(data.width * 0.75) };
  },
});

export const greet = defineJob({
  name: 'greet',
  description: 'Answers a greeting.',
  input: Type.Object({ name: Type.String({ minLength: 1 }) }),
  handler: (data) => `hello, ${data.name}`,
});

const jobs = [resize, greet];
export default jobs;

/** `{ resize: { data: { url: string; width: number }; value: {...} }; greet: {...} }` */
export type Jobs = JobTypesOf<typeof jobs>;
