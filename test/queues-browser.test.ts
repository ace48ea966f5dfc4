import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setQueueLimits } from '../src/queue/index.js';
import { Keys } from '../src/redis/index.js';
import { launchBrowser } from './helpers/browser.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCli, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

/**
 * The console's queue pages in a real headless Chromium (sysmon serving the console, a private
 * redis-server): the list links to a type's page, which shows its state and limits live and
 * pauses and resumes it (confirmed first, then reported). Every wait is on a page condition.
 */
let redis: TestRedis;
let browser: Browser;
let consoleUrl: string;
const keys = new Keys('wm');
const errors: string[] = [];

before(async () => {
  redis = await startTestRedis();
  const env = {
    ...FAST_CLUSTER,
    REDIS_URL: redis.url,
    WORKMESH_JOBS: 'test/fixtures/limited.ts',
    WORKMESH_SYSMON_INTERVAL_MS: '250',
  };
  const sysmon = runCli(['sysmon', '--headless', '--console-port', '0'], env);
  [consoleUrl, browser] = await Promise.all([sysmon.ready.then((r) => r.url!), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await stopAll();
  await redis?.stop();
});

async function openPage(path: string, answer: 'accept' | 'dismiss' = 'accept'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => void (answer === 'accept' ? dialog.accept() : dialog.dismiss()));
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${consoleUrl}/${path}`);
  await page.waitForSelector('#live:not(.off)');
  return page;
}

async function toastSays(page: Page, text: string): Promise<void> {
  const toast = await page.waitForSelector(`#toast:text("${text}"), #toast.error:not([hidden])`);
  const shown = (await toast.textContent()) ?? '';
  assert.ok(shown.includes(text), shown);
}

describe("the console's queue pages", () => {
  it('the list links each queue (a partition too) to its type, with its state', async () => {
    const page = await openPage('#/queues');
    await page.waitForSelector('#queues tr[data-queue="wide~2"] .badge.running');
    await page.click('#queues tr[data-queue="wide~2"] a[href="#/queue/wide"]');
    await page.waitForSelector('#queue-type:text("wide")');
    assert.match((await page.textContent('#queue-figures')) ?? '', /partitions3/);
    await page.close();
  });

  it("a type's page pauses and resumes it, confirmed then reported, and shows limits live", async () => {
    const page = await openPage('#/queue/limited');
    await page.waitForSelector('#queue-state .badge.running');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

    await page.click('button[data-queue-action="pause"]');
    await toastSays(page, 'limited: paused');
    await page.waitForSelector('#queue-state .badge.paused');
    assert.equal(await redis.client.hget(keys.controls('limited'), 'paused'), '1');
    assert.equal(await redis.client.hget(keys.controls('limited'), 'gated'), '1');

    // Limits changed elsewhere (here: in Redis, as the API would) show up without a reload.
    await setQueueLimits(redis.client, keys, ['limited'], {
      rate: { max: 20, perMs: 1000 },
      groupConcurrency: 2,
    });
    await page.waitForSelector('#queue-limits dd:text("20 / 1 s")');
    assert.match((await page.textContent('#queue-limits')) ?? '', /2 at once/);

    await page.click('button[data-queue-action="resume"]');
    await toastSays(page, 'limited: resumed');
    await page.waitForSelector('#queue-state .badge.running');
    assert.equal(await redis.client.hget(keys.controls('limited'), 'paused'), null);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
      42,
    );
    await page.close();
  });

  it('a pause not confirmed changes nothing', async () => {
    const page = await openPage('#/queue/wide', 'dismiss');
    await page.waitForSelector('#queue-state .badge.running');
    await page.click('button[data-queue-action="pause"]');
    // The dialog was answered (dismissed) before click() returned: nothing was sent.
    assert.equal(await redis.client.hget(keys.controls('wide~0'), 'paused'), null);
    assert.equal(await page.locator('#queue-state .badge.running').count(), 1);
    await page.close();
  });

  it('an unknown type says so; no script error on any page', async () => {
    const page = await openPage('#/queue/nope');
    await page.waitForSelector('#queue-missing');
    assert.match((await page.textContent('#queue-missing')) ?? '', /WM_ERR_QUEUE_UNKNOWN_TYPE/);
    await page.close();
    assert.deepEqual(
      errors.filter((e) => !/404/.test(e)),
      [],
    );
  });
});
