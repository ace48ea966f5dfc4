import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCli, startWorkerProcess, stopAll, type RoleProcess } from './helpers/processes.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * The web console in a real headless Chromium, against a real cluster: sysmon serving the
 * console, worker processes, a private redis-server. Every wait is on a page condition.
 */
const JOBS = 'test/fixtures/jobs.ts';
const TOKEN = 'browser-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'workmesh-console-'));
let redis: TestRedis;
let browser: Browser;
let consoleUrl: string;
let env: Record<string, string>;

before(async () => {
  redis = await startTestRedis();
  env = {
    ...FAST_CLUSTER,
    REDIS_URL: redis.url,
    WORKMESH_JOBS: JOBS,
    WORKMESH_PERMUTE_DELAY_MS: '0',
    WORKMESH_MAX_ATTEMPTS: '1',
    WORKMESH_SYSMON_INTERVAL_MS: '250',
  };
  const sysmon = runCli(['sysmon', '--headless', '--console-port', '0'], env);
  consoleUrl = (await sysmon.ready).url!;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopAll();
  await redis.stop();
});

async function openPage(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${consoleUrl}/${path}`);
  await page.waitForSelector('#live:not(.off)');
  return page;
}

/** Marks the document: still marked later means the page was updated live, not reloaded. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
}
async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { marker?: number }).marker === 42);
}

describe('web console in a headless Chromium', () => {
  it('loads every asset from the console itself: nothing from another origin', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    for (const view of ['#/', '#/nodes', '#/queues', '#/dead', '#/submit']) {
      await page.goto(`${consoleUrl}/${view}`);
      await page.waitForSelector('#live:not(.off)');
    }
    const origin = new URL(consoleUrl).origin;
    assert.ok(requested.length > 3, requested.join('\n'));
    assert.deepEqual(
      requested.filter((url) => new URL(url).origin !== origin),
      [],
    );
    await page.close();
  });

  it('a worker started appears without reload; stopped from its page, it goes', async () => {
    const page = await openPage('#/');
    await mark(page);
    const worker = startWorkerProcess(redis.url, env);
    const { nodeId } = await worker.ready;
    await page.waitForSelector(`svg a[data-node="${nodeId}"]`);
    await page.click('a[href="#/nodes"]');
    await page.waitForSelector(`#nodes tr[data-node="${nodeId}"]`);
    assert.equal(await stillMarked(page), true);

    await page.click(`#nodes tr[data-node="${nodeId}"] a`);
    await page.waitForSelector(`#node-id:text("${nodeId}")`);
    await page.waitForSelector('text=Event-loop lag');
    await page.click('button[data-action="ping"]');
    await page.waitForSelector(`#toast:text("pong from ${nodeId}")`);
    await page.click('button[data-action="stop"]');
    await page.waitForSelector('#node-gone');
    assert.equal(await worker.exited, 0);
    await page.click('a[href="#/"]');
    await page.waitForSelector('#events');
    assert.equal(await page.locator(`svg a[data-node="${nodeId}"]`).count(), 0);
    assert.match(
      (await page.textContent('#events')) ?? '',
      new RegExp(`left.*shutdown.*${nodeId}`),
    );
    assert.equal(await stillMarked(page), true);
    await page.close();
  });

  it('a worker drained from the console finishes and is shown drained', async () => {
    const worker = startWorkerProcess(redis.url, env);
    const { nodeId } = await worker.ready;
    const page = await openPage(`#/node/${nodeId}`);
    await page.waitForSelector(`#node-id:text("${nodeId}")`);
    await page.click('button[data-action="drain"]');
    await page.waitForSelector('dd .badge.drained');
    worker.child.kill('SIGTERM');
    await worker.exited;
    await page.close();
  });

  it('work submitted from the form reaches done on its job page', async () => {
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    const page = await openPage('#/submit');
    await page.waitForSelector('#type option[value="permute"]', { state: 'attached' });
    await page.selectOption('#type', 'permute');
    await page.fill('#data', '"hello from the browser"');
    await page.click('#submit button[type="submit"]');
    await page.waitForURL(/#\/job\/permute\./);
    await page.waitForSelector('#job-status .badge.done');
    const result = JSON.parse((await page.textContent('#job-result')) ?? '') as string;
    assert.equal([...result].sort().join(''), [...'hello from the browser'].sort().join(''));
    const events = (await page.textContent('#job-events')) ?? '';
    assert.match(events, /accepted[\s\S]*pending[\s\S]*done/);
    worker.child.kill('SIGTERM');
    await worker.exited;
    await page.close();
  });

  it('a dead letter retried from the page runs again', async () => {
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    const file = join(dir, 'flaky.log');
    const page = await openPage('#/submit');
    await page.waitForSelector('#type option[value="flaky"]', { state: 'attached' });
    await page.selectOption('#type', 'flaky');
    await page.fill('#data', JSON.stringify({ file, fails: 1 }));
    await page.click('#submit button[type="submit"]');
    await page.waitForURL(/#\/job\/flaky\./);
    const id = decodeURIComponent(page.url().split('#/job/')[1]!);
    await page.waitForSelector('#job-status .badge.failed');

    await page.click('a[href="#/dead"]');
    await page.waitForSelector(`tr[data-dead="${id}"]`);
    await page.click(`tr[data-dead="${id}"] button.retry`);
    await page.waitForSelector(`#toast:text("${id} is queued again")`);
    await page.waitForSelector(`tr[data-dead="${id}"]`, { state: 'detached' });

    // Back to its page through the search box (find a job by callback id).
    await page.fill('#find input[name="callback"]', id);
    await page.press('#find input[name="callback"]', 'Enter');
    await page.waitForSelector(`#job-id:text("${id}")`);
    await page.waitForSelector('#job-status .badge.done');
    assert.equal(JSON.parse((await page.textContent('#job-result')) ?? ''), 'finally');
    await until(
      'two runs of the job',
      () => readExecutions(file, id).length,
      (n) => n === 2,
    );
    worker.child.kill('SIGTERM');
    await worker.exited;
    await page.close();
  });

  it('beyond loopback without the token: the login page and no data; with it, the console', async () => {
    let guarded: RoleProcess | undefined;
    guarded = runCli(['sysmon', '--headless', '--host', '0.0.0.0', '--console-port', '0'], {
      ...env,
      WORKMESH_CONSOLE_TOKEN: TOKEN,
    });
    const port = new URL((await guarded.ready).url!).port;
    const base = `http://127.0.0.1:${port}`;
    const page = await browser.newPage();
    const dataAnswers: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/console/api/')) dataAnswers.push(r.status());
    });
    await page.goto(`${base}/#/nodes`);
    // (the browser keeps the fragment across the redirect)
    await page.waitForURL(/\/login(#.*)?$/);
    await page.waitForSelector('form.login input[type="password"]');
    assert.equal(await page.locator('#nodes').count(), 0);
    const direct = await page.evaluate(async () => {
      const r = await fetch('/console/api/snapshot');
      return { status: r.status, body: await r.text() };
    });
    assert.equal(direct.status, 401);
    assert.doesNotMatch(direct.body, /"nodes"/);
    assert.ok(dataAnswers.every((s) => s === 401));

    await page.fill('#token', 'wrong-token');
    await page.click('form.login button');
    await page.waitForSelector('.login-error');
    await page.fill('#token', TOKEN);
    await page.click('form.login button');
    await page.waitForURL(new RegExp(`^${base}/(#.*)?$`));
    await page.waitForSelector('#live:not(.off)');
    await page.waitForSelector('#stat-nodes');
    await page.close();
    guarded.child.kill('SIGTERM');
    await guarded.exited;
    guarded = undefined;
  });
});
