/**
 * The floor for workmesh's API in bench/api-cost.ts: a bare Fastify 5 server whose
 * `POST /api/work` does one Redis write (SET) and whose `GET /api/status/<id>` does one read
 * (GET), with no schema, no hooks and no logger. Run as a child process; tells its parent its
 * URL.
 */
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const redis = new Redis(process.argv[2] ?? 'redis://127.0.0.1:6379');
const prefix = `bare:${process.pid}:`;
let next = 0;

const app = Fastify({ logger: false });
app.post<{ Querystring: { data?: string }; Body: { type?: string; data?: unknown } | undefined }>(
  '/api/work',
  async (request, reply) => {
    const id = `${prefix}${next++}`;
    const data = request.body?.data ?? request.query.data;
    await redis.set(id, JSON.stringify({ type: request.body?.type ?? 'noop', data }));
    return reply.status(202).send({ callback: id, status: 'accepted' });
  },
);
app.get<{ Params: { id: string } }>('/api/status/:id', async (request, reply) => {
  const record = await redis.get(request.params.id);
  if (record === null) return reply.status(404).send({ error: 'not found' });
  return { callback: request.params.id, status: 'accepted', value: JSON.parse(record) as unknown };
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
process.send?.({ kind: 'ready', url });
const stop = (): void =>
  void app
    .close()
    .then(() => redis.quit())
    .then(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
