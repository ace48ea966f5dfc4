import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, type ClaimedJob } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { launchBrowser } from './helpers/browser.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCli, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * The console's jobs page in a real headless Chromium (issue 23, item 2): filters, a selection,
 * a bulk retry confirmed in a dialog and its report. The jobs are made and failed by a consumer
 * in this process; no worker runs, so a retried job stays queued for the test to see.
 */
const keys = new Keys('wm');
let redis: TestRedis;
let browser: Browser;
let consoleUrl: string;
let conn: Redis;
let blocking: Redis;

before(async () => {
  redis = await startTestRedis();
  const env = {
    ...FAST_CLUSTER,
    REDIS_URL: redis.url,
    WORKMESH_JOBS: 'test/fixtures/listed.ts',
    WORKMESH_SYSMON_INTERVAL_MS: '250',
  };
  const sysmon = runCli(['sysmon', '--headless', '--console-port', '0'], env);
  consoleUrl = (await sysmon.ready).url!;
  const log = createLogger('silent');
  conn = connectRedis(redis.url, log, { name: 'console-jobs-test' });
  blocking = connectRedis(redis.url, log, { name: 'console-jobs-blocking', blocking: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  conn?.disconnect();
  blocking?.disconnect();
  await stopAll();
  await redis?.stop();
});

/** n jobs of a queue, run at once by a consumer here: those `ok` picks done, the rest failed. */
async function made(queue: string, n: number, ok: (i: number) => boolean): Promise<string[]> {
  const producer = new Producer(conn, keys, 'console-jobs-test');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      (await producer.enqueue({ queue, data: { i }, resultTtlSec: 600, maxAttempts: 1 })).id,
    );
  }
  const consumer = new StreamConsumer(conn, blocking, keys, queue, 'console-jobs-test', {
    deadTtlSec: 600,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  for (const job of jobs) {
    const i = (job.data as { i: number }).i;
    await consumer.finish(
      job,
      ok(i) ? { kind: 'done', json: '"fine"' } : { kind: 'fatal', error: `broke ${i}` },
    );
  }
  return ids;
}

async function openPage(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${consoleUrl}/${path}`);
  await page.waitForSelector('#live:not(.off)');
  return page;
}

/** Waits until the list shows n jobs (it is read from Redis after each change of filters). */
async function rowsShown(page: Page, n: number): Promise<void> {
  await until(
    'the list',
    () => page.locator('#jobs tr[data-job]').count(),
    (c) => c === n,
  );
}

const rowIds = (page: Page): Promise<string[]> =>
  page.evaluate(
    `[...document.querySelectorAll('#jobs tr[data-job]')].map((r) => r.getAttribute('data-job'))`,
  );

describe('the console jobs page in a headless Chromium', () => {
  let alpha: string[] = [];
  let beta: string[] = [];
  before(async () => {
    alpha = await made('alpha', 3, (i) => i === 1);
    beta = await made('beta', 1, () => false);
  });

  it('filter, select, bulk retry confirmed in a dialog, and its report', async () => {
    const page = await openPage('#/jobs');
    await page.waitForSelector('#jobs-type option[value="alpha"]', { state: 'attached' });
    // Filter: the failed jobs of alpha (beta's failed one is left out).
    await page.selectOption('#jobs-type', 'alpha');
    await page.selectOption('#jobs-status', 'failed');
    await page.click('#jobs-filter button[type="submit"]');
    await until(
      'the filters in the route',
      () => page.url(),
      (u) => u.includes('status%3Dfailed'),
    );
    await rowsShown(page, 2);
    assert.deepEqual(new Set(await rowIds(page)), new Set([alpha[0], alpha[2]]));
    assert.ok(!(await rowIds(page)).includes(beta[0]!));

    // Every job of alpha, all of them selected, then a retry: the done one is skipped.
    await page.selectOption('#jobs-status', '');
    await page.click('#jobs-filter button[type="submit"]');
    await rowsShown(page, 3);
    await page.click(`[data-pick="${alpha[0]}"]`);
    await page.waitForSelector('#jobs-selected:text("1 selected")');
    await page.click('#jobs-all');
    await page.waitForSelector('#jobs-selected:text("3 selected")');
    assert.ok(await page.isChecked(`[data-pick="${alpha[1]}"]`));

    // Backing out of the dialog does nothing.
    await page.click('[data-bulk="retry"]');
    await page.waitForSelector('dialog#jobs-confirm[open]');
    assert.match((await page.textContent('#jobs-confirm-text')) ?? '', /Retry 3 jobs\?/);
    await page.click('#jobs-confirm-no');
    await page.waitForSelector('dialog#jobs-confirm:not([open])', { state: 'attached' });
    assert.equal(await redis.client.hget(keys.job(alpha[0]!), 'status'), 'failed');

    await page.click('[data-bulk="retry"]');
    await page.waitForSelector('dialog#jobs-confirm[open]');
    await page.click('#jobs-confirm-yes');
    await page.waitForSelector('#jobs-report');
    assert.equal(await page.textContent('#jobs-report-acted'), '2 retried');
    assert.equal(await page.textContent('#jobs-report-skipped'), '1 skipped');
    const reason = (await page.textContent('#jobs-report li')) ?? '';
    assert.match(reason, /1 × only failed jobs are retried; this one is done/);
    assert.ok(reason.includes(alpha[1]!));
    assert.equal(await redis.client.hget(keys.job(alpha[0]!), 'status'), 'accepted');
    assert.equal(await redis.client.hget(keys.job(alpha[2]!), 'status'), 'accepted');
    assert.equal(await redis.client.hget(keys.job(beta[0]!), 'status'), 'failed');
    // The list is read again: the selection is gone, the retried jobs are queued.
    await page.waitForSelector('#jobs-selected:text("0 selected")');
    await page.waitForSelector(`tr[data-job="${alpha[0]}"] .badge:text("accepted")`);
    await page.close();
  });

  it("the overview's counts link to the list, filtered", async () => {
    const page = await openPage('#/');
    await page.waitForSelector('#stat-dead a');
    await page.click('#stat-dead a');
    await until(
      'the jobs page',
      () => page.url(),
      (u) => u.includes('#/jobs/'),
    );
    await rowsShown(page, 1);
    assert.deepEqual(await rowIds(page), [beta[0]]);
    assert.equal(await page.inputValue('#jobs-status'), 'failed');
    await page.close();
  });

  it("the page's routes refuse bad input with a 400 and change nothing", async () => {
    const page = await openPage('#/jobs');
    const before = await redis.dbsize();
    for (const [query, code] of [
      ['status=dead', 'WM_ERR_API_BAD_REQUEST'],
      ['limit=501', 'WM_ERR_API_BAD_REQUEST'],
      ['time=started', 'WM_ERR_API_BAD_REQUEST'],
      ['data.a%20b=1', 'WM_ERR_API_BAD_REQUEST'],
      ['cursor=bm9wZQ', 'WM_ERR_JOBS_BAD_CURSOR'],
      ['since=yesterday', 'WM_ERR_JOBS_BAD_TIME'],
    ]) {
      const res = await page.request.get(`${consoleUrl}/console/api/jobs?${query}`);
      assert.equal(res.status(), 400, query);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, query);
    }
    for (const body of [
      { action: 'explode', ids: [alpha[0]] },
      { action: 'retry', ids: [] },
      { action: 'retry', ids: 'nope' },
      { action: 'delete', ids: Array.from({ length: 501 }, () => alpha[0]) },
    ]) {
      const res = await page.request.post(`${consoleUrl}/console/api/jobs/actions`, { data: body });
      assert.equal(res.status(), 400, JSON.stringify(body).slice(0, 60));
    }
    assert.equal(await redis.dbsize(), before);
    await page.close();
  });
});
