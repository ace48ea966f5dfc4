/**
 * The peer of workmesh's API: a minimal Fastify 5 server that adds a BullMQ job per
 * `POST /api/work` and reads it back on `GET /api/status/<id>`. Run as a child process; tells
 * its parent its URL.
 */
import { Job, Queue } from 'bullmq';
import Fastify from 'fastify';
import { QUEUE, RESULT_TTL_SEC } from '../peers/index.js';

const { hostname, port } = new URL(process.argv[2] ?? 'redis://127.0.0.1:6379');
const queue = new Queue(QUEUE, {
  connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
  defaultJobOptions: { removeOnComplete: { age: RESULT_TTL_SEC }, removeOnFail: false },
});
await queue.waitUntilReady();

const app = Fastify({ logger: false });
app.post<{ Body: { type?: string; data?: unknown } }>('/api/work', async (request, reply) => {
  const job = await queue.add(request.body.type ?? 'noop', request.body.data ?? null);
  return reply.status(202).send({ callback: job.id, status: 'accepted' });
});
app.get<{ Params: { id: string } }>('/api/status/:id', async (request, reply) => {
  const job = await Job.fromId(queue, request.params.id);
  if (!job) return reply.status(404).send({ error: 'not found' });
  const state = await job.getState();
  return { callback: job.id, status: state, value: job.returnvalue as unknown };
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
process.send?.({ kind: 'ready', url });
process.on(
  'disconnect',
  () =>
    void app
      .close()
      .then(() => queue.close())
      .then(() => process.exit(0)),
);
