import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRegistry } from '../src/jobs/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ROOT } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

// A job type's input schema may name JSON Schema formats; the registry's validator checks them
// (issue 18, item 10: plain Ajv ignored `format`, so any string passed as an email).
const FIXTURE = `${ROOT}test/fixtures/formats.ts`;
const good = {
  email: 'ada@example.org',
  site: 'https://example.org/a',
  at: '2026-12-02T07:00:00Z',
};

let redis: TestRedis;
let api: InProcessApi;
before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url, { WORKMESH_JOBS: FIXTURE });
});
after(async () => {
  await api.close();
  await redis.stop();
});

describe('job input formats', () => {
  it('POST /api/work accepts data whose formats hold', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/work',
      payload: { type: 'contact', data: good },
    });
    assert.equal(res.statusCode, 202, res.body);
  });

  for (const [field, bad] of [
    ['email', 'not an email'],
    ['site', 'no scheme here'],
    ['at', 'yesterday at noon'],
  ] as const) {
    it(`refuses a bad ${field} with 400 WM_ERR_JOB_INVALID_DATA naming it`, async () => {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { type: 'contact', data: { ...good, [field]: bad } },
      });
      assert.equal(res.statusCode, 400, res.body);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      assert.equal(error.code, 'WM_ERR_JOB_INVALID_DATA');
      assert.match(error.message, new RegExp(`data\\.${field} must match format`));
    });
  }

  it('the registry checks formats on its own (the shell and the console submit through it too)', async () => {
    const registry = await createRegistry({ permuteDelayMs: 0 }, [FIXTURE]);
    assert.equal(registry.validate('contact', good).name, 'contact');
    assert.throws(
      () => registry.validate('contact', { ...good, email: 'nope' }),
      /data\.email must match format "email"/,
    );
  });
});
