import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { buildApi } from '../src/api/index.js';
import { loadConfig } from '../src/config/index.js';
import { createRegistry } from '../src/jobs/index.js';
import { createLogger } from '../src/log/index.js';
import { Producer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/** JSON logs: node id on every line, job id on every line about one job; /readyz's meaning. */
let redis: TestRedis;
let client: WorkmeshClient;
before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { WORKMESH_JOBS: 'test/fixtures/jobs.ts' });
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('logs', () => {
  it("a worker's lines are JSON with nodeId; lines about a job carry its jobId", async () => {
    const worker = startWorkerProcess(redis.url, {
      WORKMESH_JOBS: 'test/fixtures/jobs.ts',
      WORKMESH_LOG_LEVEL: 'debug',
    });
    const { nodeId } = await worker.ready;
    const boom = await client.submit('boom', 'x', {
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 10 },
    });
    assert.equal((await client.wait(boom.callback)).status, 'failed');
    const lines = await until(
      'the failure logged',
      () =>
        worker
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{')),
      (ls) => ls.filter((l) => l.includes(boom.callback)).length >= 2,
    );
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) assert.equal(r.nodeId, nodeId, JSON.stringify(r));
    const aboutJob = records.filter((r) => JSON.stringify(r).includes(boom.callback));
    assert.ok(aboutJob.length >= 2);
    for (const r of aboutJob) {
      const ids = r.jobId ?? r.jobs;
      assert.ok(
        ids === boom.callback || (Array.isArray(ids) && ids.includes(boom.callback)),
        JSON.stringify(r),
      );
    }
  });
});

describe('/readyz', () => {
  it('503 WM_ERR_NOT_REGISTERED while Redis answers but the node is not registered', async () => {
    const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const conn = connectRedis(redis.url, log);
    await new Promise((resolve) => conn.once('ready', resolve));
    const keys = new Keys(config.prefix);
    let registered = false;
    const app = await buildApi(
      {
        config,
        registry: await createRegistry(config, []),
        redis: conn,
        keys,
        producer: new Producer(conn, keys, 'api-t'),
        nodeId: 'api-t',
        registered: () => registered,
        redisTimeoutMs: 2000,
      },
      log,
    );
    try {
      const before = await app.inject('/readyz');
      assert.equal(before.statusCode, 503);
      assert.equal(before.json<{ error: { code: string } }>().error.code, 'WM_ERR_NOT_REGISTERED');
      registered = true;
      assert.equal((await app.inject('/readyz')).statusCode, 200);
      assert.equal((await app.inject('/healthz')).statusCode, 200);
    } finally {
      await app.close();
      conn.disconnect();
    }
  });
});
