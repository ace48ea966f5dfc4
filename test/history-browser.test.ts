import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WorkmeshClient } from '../src/client/index.js';
import { launchBrowser } from './helpers/browser.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCli, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * The console's metrics history page in a real headless Chromium: an API and a worker process
 * run jobs, sysmon serves the console, a private redis-server holds the history. The charts
 * (uPlot, served by the console itself) draw the jobs, switch ranges, zoom and show a tooltip.
 */
let redis: TestRedis;
let browser: Browser;
let consoleUrl: string;
let client: WorkmeshClient;
const DONE = 6;
const FAILED = 2;

before(async () => {
  redis = await startTestRedis();
  const env = {
    ...FAST_CLUSTER,
    WORKMESH_JOBS: 'test/fixtures/jobs.ts',
    WORKMESH_HISTORY_FLUSH_MS: '200',
    WORKMESH_SYSMON_INTERVAL_MS: '250',
  };
  const api = startApiProcess(redis.url, env);
  const worker = startWorkerProcess(redis.url, env);
  const sysmon = runCli(['sysmon', '--headless', '--console-port', '0'], {
    ...env,
    REDIS_URL: redis.url,
  });
  const [apiReady, consoleReady] = await Promise.all([api.ready, sysmon.ready, worker.ready]);
  consoleUrl = consoleReady.url!;
  client = new WorkmeshClient({ baseUrl: apiReady.url! });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopAll();
  await redis?.stop();
});

interface Answer {
  step: string;
  points: { at: string; accepted: number; done: number; failed: number }[];
}

async function history(page: Page, query: string): Promise<Answer> {
  const res = await page.request.get(`${consoleUrl}/console/api/history?${query}`);
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()) as Answer;
}

const total = (a: Answer, f: 'done' | 'failed'): number => a.points.reduce((n, p) => n + p[f], 0);

/** Waits for the summary to read the step and the totals of a fresh read. */
async function summarySays(page: Page, step: string, done: number): Promise<void> {
  await page.waitForSelector(
    `#history-summary[data-step="${step}"]:has([data-total="done"]:text-is("${done}"))`,
  );
}

describe("the console's metrics history", () => {
  it('draws the jobs run, switches ranges, zooms, and shows a tooltip on hover', async () => {
    const file = join(tempDir('history-browser'), 'runs');
    // One through the console's Submit: counted as accepted too.
    const res = await fetch(`${consoleUrl}/console/api/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'record', data: { file, ms: 40 } }),
    });
    assert.equal(res.status, 202);
    const jobs = [
      (await res.json()) as { callback: string },
      ...(await Promise.all(
        Array.from({ length: DONE - 1 }, () => client.submit('record', { file, ms: 40 })),
      )),
      ...(await Promise.all(Array.from({ length: FAILED }, () => client.submit('boom', 'fatal')))),
    ];
    await Promise.all(jobs.map((j) => client.status(j.callback, 30)));

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const requested: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${consoleUrl}/#/history`);
    await until(
      'the workers to flush the history',
      () => history(page, `from=${Date.now() - 3_600_000}`),
      (a) => total(a, 'done') === DONE && total(a, 'failed') === FAILED,
    );
    // The page read before the flush perhaps: the 1h button reads again.
    await page.click('[data-range="1h"]');
    await summarySays(page, '1m', DONE);
    assert.equal(await page.textContent('[data-total="failed"]'), String(FAILED));
    assert.equal(await page.locator('#history canvas').count(), 3);

    // One type: the page of record (its failures are boom's).
    await page.selectOption('select[name="type"]', 'record');
    await page.waitForURL(/#\/history\/record$/);
    await summarySays(page, '1m', DONE);
    assert.equal(await page.textContent('[data-total="failed"]'), '0');
    assert.equal(await page.textContent('[data-total="accepted"]'), String(DONE));

    // A tooltip at the newest step with jobs: its values are that minute's as the API reads
    // them (the x axis spans the points read, the cursor snaps to the nearest).
    const read = await history(page, `type=record&from=${Date.now() - 3_600_000}`);
    const newest = read.points.filter((p) => p.done > 0).at(-1)!;
    const [firstAt, lastAt] = [read.points[0]!.at, read.points.at(-1)!.at].map((t) =>
      Date.parse(t),
    );
    const over = (await page.locator('[data-chart="counts"] .u-over').boundingBox())!;
    const x = over.x + ((Date.parse(newest.at) - firstAt!) / (lastAt! - firstAt!)) * over.width;
    await page.mouse.move(Math.min(x, over.x + over.width - 1), over.y + over.height / 2);
    const tip = page.locator('[data-chart="counts"] .hist-tip:not([hidden])');
    await tip.waitFor();
    const text = (await tip.textContent()) ?? '';
    const shown = read.points.find((p) => text.startsWith(p.at.replace('T', ' ').slice(0, 16)));
    assert.ok(shown, `tooltip ${text}`);
    assert.ok(Math.abs(Date.parse(shown.at) - Date.parse(newest.at)) <= 60_000, text);
    assert.ok(text.includes(`done: ${shown.done}`), `${text} (expected done: ${shown.done})`);
    assert.ok(text.includes(`accepted: ${shown.accepted}`), text);
    // The other charts follow the same cursor.
    await page.locator('[data-chart="run"] .hist-tip:not([hidden])').waitFor();
    assert.match((await page.textContent('[data-chart="run"] .hist-tip')) ?? '', /p50: \d/);

    // 24 hours at 5 minutes, 14 days at an hour: the same jobs.
    await page.click('[data-range="24h"]');
    await summarySays(page, '5m', DONE);
    await page.click('[data-range="14d"]');
    await summarySays(page, '1h', DONE);
    assert.equal(await page.locator('#history canvas').count(), 3);

    // Drag across the newest tenth: read again at a finer step; "Whole range" goes back.
    const counts = (await page.locator('[data-chart="counts"] .u-over').boundingBox())!;
    await page.mouse.move(counts.x + counts.width * 0.9, counts.y + 20);
    await page.mouse.down();
    await page.mouse.move(counts.x + counts.width - 1, counts.y + 20, { steps: 5 });
    await page.mouse.up();
    await summarySays(page, '15m', DONE);
    await page.waitForSelector('[data-zoom-reset]:not([hidden])');
    await page.click('[data-zoom-reset]');
    await summarySays(page, '1h', DONE);
    assert.ok(await page.isHidden('[data-zoom-reset]'));

    // Everything came from the console itself (uPlot included), without an error.
    const origin = new URL(consoleUrl).origin;
    assert.ok(requested.some((u) => u.endsWith('/assets/uPlot.iife.min.js')));
    assert.deepEqual(
      requested.filter((u) => new URL(u).origin !== origin),
      [],
    );
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('answers a bad range or step with 400 and an unknown type with 404', async () => {
    const page = await browser.newPage();
    for (const [query, status, code] of [
      ['step=7m', 400, 'WM_ERR_API_BAD_REQUEST'],
      ['from=soon', 400, 'WM_ERR_API_BAD_REQUEST'],
      ['type=nosuch', 404, 'WM_ERR_QUEUE_UNKNOWN_TYPE'],
    ] as const) {
      const res = await page.request.get(`${consoleUrl}/console/api/history?${query}`);
      assert.equal(res.status(), status, query);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, query);
    }
    await page.close();
  });
});
