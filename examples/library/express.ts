/**
 * The producer API inside an Express app: the same Queue, the same checks, no HTTP hop.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=3000 npx tsx examples/library/express.ts
 *   curl -X POST localhost:3000/greetings -H 'content-type: application/json' -d '{"name": "ada"}'
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { Queue, isWorkmeshError, loadConfig } from 'workmesh';
import jobs from './jobs.js';

const queue = new Queue({ jobs, config: loadConfig(process.env) });
const app = express();
app.use(express.json());

app.post('/greetings', async (request: Request<object, unknown, { name: string }>, response) => {
  const job = await queue.add('greet', { name: request.body.name });
  response.status(202).json({ id: job.id });
});

app.get('/greetings/:id', async (request: Request<{ id: string }>, response) => {
  const state = await queue.waitFor<'greet'>(request.params.id, { timeoutMs: 30_000 });
  response.json({ status: state.status, greeting: state.value });
});

// Express 5 passes a rejected handler's error here: a WorkmeshError has its status and code.
app.use((err: unknown, _request: Request, response: Response, _next: NextFunction) => {
  if (isWorkmeshError(err)) response.status(err.status).json({ error: err.toJSON() });
  else response.status(500).json({ error: { message: 'internal error' } });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.once('SIGTERM', () => server.close(() => void queue.close()));
