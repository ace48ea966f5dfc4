/**
 * A producer inside an existing Fastify app: the app's own routes add jobs with the producer
 * API (no HTTP hop to a workmesh API), typed by the job definitions, and read them back.
 * Any worker that runs jobs.ts does the work (embedded-worker.ts, or `workmesh worker` with
 * WORKMESH_JOBS=examples/library/jobs.ts).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=3000 npx tsx examples/library/fastify-producer.ts
 *   curl -X POST localhost:3000/images -H 'content-type: application/json' \
 *     -d '{"url": "https://example.com/cat.png", "width": 640}'
 *   curl localhost:3000/images/<id>/result
 */
import Fastify from 'fastify';
import { Queue, isWorkmeshError, loadConfig } from 'workmesh';
import jobs from './jobs.js';

const queue = new Queue({ jobs, config: loadConfig(process.env) });
const app = Fastify();

// A WorkmeshError carries its HTTP status and a stable code: bad data is a 400, not a 500.
app.setErrorHandler((err, _request, reply) =>
  isWorkmeshError(err)
    ? reply.status(err.status).send({ error: err.toJSON() })
    : reply.status(500).send({ error: { message: 'internal error' } }),
);

app.post<{ Body: { url: string; width: number } }>('/images', async (request, reply) => {
  // Checked against resize's input schema, as POST /api/work would check it.
  const job = await queue.add('resize', request.body, { priority: 5 });
  return reply.status(202).send({ id: job.id });
});

app.get<{ Params: { id: string } }>('/images/:id', async (request, reply) => {
  const state = await queue.get(request.params.id);
  return state ?? reply.status(404).send({ error: { code: 'WM_ERR_JOB_NOT_FOUND' } });
});

app.get<{ Params: { id: string } }>('/images/:id/result', async (request) => {
  const state = await queue.waitFor<'resize'>(request.params.id, { timeoutMs: 30_000 });
  return { status: state.status, size: state.value };
});

app.addHook('onClose', () => queue.close());
const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
console.log(`listening on ${url}`);
process.once('SIGTERM', () => void app.close());
