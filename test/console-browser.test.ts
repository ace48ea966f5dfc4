import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ClusterNode } from '../src/cluster/index.js';
import { loadConfig } from '../src/config/index.js';
import { submitFlow } from '../src/flow/index.js';
import { createRegistry } from '../src/jobs/index.js';
import { createLogger } from '../src/log/index.js';
import { Producer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { upsertSchedule } from '../src/schedule/index.js';
import { Submitter } from '../src/submit/index.js';
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
let dir: string;
let redis: TestRedis;
let browser: Browser;
let consoleUrl: string;
let env: Record<string, string>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'workmesh-console-'));
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
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openPage(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${consoleUrl}/${path}`);
  await page.waitForSelector('#live:not(.off)');
  return page;
}

/**
 * Waits for the toast saying `text`; an error toast instead fails at once, with its message
 * (rather than a 30 s timeout that says nothing).
 */
async function toastSays(page: Page, text: string): Promise<void> {
  const toast = await page.waitForSelector(`#toast:text("${text}"), #toast.error:not([hidden])`);
  const shown = (await toast.textContent()) ?? '';
  assert.ok(shown.includes(text), shown);
}

/** Resolves once the page has taken in the next snapshot of the live stream. */
async function nextSnapshot(page: Page): Promise<void> {
  // Every snapshot sets #live's text (a new text node, even when the words are the same),
  // and renders the page in the same task: once #live changed, the page is redrawn too.
  // (a string: the test files are type-checked without the DOM's types)
  await page.evaluate(`new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      watch.disconnect();
      resolve();
    });
    watch.observe(document.getElementById('live'), { childList: true, characterData: true });
  })`);
}

/** Submits work through the console's API (as the page's session), answers its callback id. */
async function submit(page: Page, type: string, data: unknown): Promise<string> {
  const res = await page.request.post(`${consoleUrl}/console/api/work`, { data: { type, data } });
  assert.equal(res.status(), 202, await res.text());
  return ((await res.json()) as { callback: string }).callback;
}

/** A job's status, as the console's API answers it. */
async function status(page: Page, id: string): Promise<string> {
  const res = await page.request.get(`${consoleUrl}/console/api/jobs/${encodeURIComponent(id)}`);
  return ((await res.json()) as { status: string }).status;
}

/** Marks the document: still marked later means the page was updated live, not reloaded. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
}
async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { marker?: number }).marker === 42);
}

describe('web console in a headless Chromium', () => {
  it('loads every asset from the console itself: nothing from another origin, no error', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    // A script error, or anything the content security policy refused, shows up here.
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
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
    assert.deepEqual(errors, []);
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
    await toastSays(page, `pong from ${nodeId}`);
    await page.click('button[data-action="stop"]');
    await page.waitForSelector('#node-gone');
    assert.equal(await worker.exited, 0);
    await page.click('a[href="#/"]');
    // The membership event comes with a later snapshot of the live stream: wait for its row
    // (reading the table at once failed under load, the row not drawn yet).
    await page.waitForSelector(`#events tr:has-text("${nodeId}"):has-text("left")`);
    assert.equal(await page.locator(`svg a[data-node="${nodeId}"]`).count(), 0);
    assert.match(
      (await page.textContent('#events')) ?? '',
      new RegExp(`left.*shutdown.*${nodeId}`),
    );
    assert.equal(await stillMarked(page), true);
    await page.close();
  });

  it('a worker drained from the console finishes its running job, then is shown drained', async () => {
    const worker = startWorkerProcess(redis.url, env);
    const { nodeId } = await worker.ready;
    const file = join(dir, 'hold.log');
    const release = join(dir, 'hold.release');
    const page = await openPage(`#/node/${nodeId}`);
    await page.waitForSelector(`#node-id:text("${nodeId}")`);
    const id = await submit(page, 'hold', { file, release });
    await until(
      'the job running on the worker',
      () => readExecutions(file, id).length,
      (n) => n === 1,
    );

    await page.click('button[data-action="drain"]');
    await toastSays(page, `${nodeId}: draining (1 in flight)`);
    // Held by its running job: the worker stays draining, and offers Resume.
    await page.waitForSelector('dd .badge.draining');
    await page.waitForSelector('button[data-action="resume"]');
    writeFileSync(release, '');
    await page.waitForSelector('dd .badge.drained');
    assert.equal(await status(page, id), 'done');
    assert.equal(readExecutions(file, id).length, 1);

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

  it("a job's page shows the lines its handler logged (ctx.addLog), each with its attempt", async () => {
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    const page = await openPage('#/');
    const id = await submit(page, 'chatty', { lines: 3 });
    const quiet = await submit(page, 'chatty', { lines: 0 });
    await page.goto(`${consoleUrl}/#/job/${encodeURIComponent(id)}`);
    await page.waitForSelector('#job-status .badge.done');
    const trs = page.locator('#job-log tbody tr:has(td)');
    const rows = await Promise.all(
      Array.from({ length: await trs.count() }, (_, i) =>
        trs.nth(i).locator('td').allTextContents(),
      ),
    );
    assert.deepEqual(
      rows.map((r) => [r[0], r[2]]),
      [
        ['1', 'line 1 of 3'],
        ['1', 'line 2 of 3'],
        ['1', 'line 3 of 3'],
      ],
    );
    await page.goto(`${consoleUrl}/#/job/${encodeURIComponent(quiet)}`);
    await page.waitForSelector('#job-status .badge.done');
    assert.match((await page.textContent('#job-log')) ?? '', /no lines/);
    worker.child.kill('SIGTERM');
    await worker.exited;
    await page.close();
  });

  it("a flow's page draws its tree and follows its statuses live", async () => {
    const config = loadConfig(env);
    const registry = await createRegistry(config, config.jobModules);
    const conn = connectRedis(redis.url, createLogger('silent'), { name: 'flow-page-test' });
    const keys = new Keys(config.prefix);
    const submitter = new Submitter({
      config,
      registry,
      producer: new Producer(conn, keys, 'test'),
      redis: conn,
      keys,
    });
    const { id, ids } = await submitFlow(conn, keys, 'test', submitter, {
      flow: { type: 'permute', data: 'ab', children: [{ type: 'permute', data: 'cd' }] },
    });
    const page = await openPage(`#/flow/${encodeURIComponent(id)}`);
    // No worker yet: the parent waits for its child.
    await page.waitForSelector('#flow-status .badge.accepted');
    await page.waitForSelector(`[data-flow-node="${ids[1]}"] .badge.accepted`);
    assert.match((await page.textContent('#flow-tree')) ?? '', /waiting for 1/);
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    await page.waitForSelector('#flow-status .badge.done');
    await page.waitForSelector(`[data-flow-node="${ids[1]}"] .badge.done`);
    worker.child.kill('SIGTERM');
    await worker.exited;
    conn.disconnect();
    await page.close();
  });

  it("the schedules page shows each schedule's next fire time and last run; Pause and Resume act", async () => {
    const config = loadConfig(env);
    const registry = await createRegistry(config, config.jobModules);
    const conn = connectRedis(redis.url, createLogger('silent'), { name: 'schedules-page-test' });
    const store = { redis: conn, keys: new Keys(config.prefix), registry };
    const file = join(dir, 'scheduled.log');
    await upsertSchedule(store, {
      id: 'page-every-second',
      type: 'record',
      data: { file },
      everyMs: 1000,
    });
    await upsertSchedule(store, {
      id: 'page-nightly',
      type: 'record',
      data: { file },
      cron: '30 2 * * *',
      tz: 'Europe/Paris',
    });
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    const page = await openPage('#/schedules');
    const every = 'tr[data-schedule="page-every-second"]';
    const nightly = 'tr[data-schedule="page-nightly"]';
    await page.waitForSelector(nightly);
    assert.match((await page.textContent(nightly)) ?? '', /30 2 \* \* \* \(Europe\/Paris\)/);
    assert.match((await page.textContent(nightly)) ?? '', /never/);
    // The interval schedule fires (the worker's scheduler): its last run links to the job.
    await page.waitForSelector(`${every} a[href^="#/job/record."]`);
    assert.match((await page.textContent(every)) ?? '', /every 1s/);
    await page.click(`${every} button[data-schedule-action="pause"]`);
    await toastSays(page, 'page-every-second: paused');
    await page.waitForSelector(`${every} .badge.paused`);
    await page.click(`${every} button[data-schedule-action="resume"]`);
    await toastSays(page, 'page-every-second: resumed');
    await page.waitForSelector(`${every} button[data-schedule-action="pause"]`);
    worker.child.kill('SIGTERM');
    await worker.exited;
    conn.disconnect();
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
    await toastSays(page, `${id} is queued again`);
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

  it('a button pressed while the page updates live still acts (updated in place, not rebuilt)', async () => {
    const worker = startWorkerProcess(redis.url, env);
    const { nodeId } = await worker.ready;
    const page = await openPage(`#/node/${nodeId}`);
    await page.waitForSelector(`#node-id:text("${nodeId}")`);
    const ping = page.locator('button[data-action="ping"]');
    const box = (await until(
      'the Ping button laid out',
      () => ping.boundingBox(),
      (b) => b !== null,
    ))!;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    // A press spans a live update: the button must be the same element when it is let go,
    // or the browser sends no click (a rebuilt page swallowed clicks, in tests and for people).
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.evaluate(
      `void (globalThis.pressed = document.elementFromPoint(${x}, ${y}).closest('button'))`,
    );
    await nextSnapshot(page);
    await nextSnapshot(page);
    assert.equal(
      await page.evaluate('globalThis.pressed.isConnected'),
      true,
      'the button was rebuilt under the pointer',
    );
    await page.mouse.up();
    await toastSays(page, `pong from ${nodeId}`);
    worker.child.kill('SIGTERM');
    await worker.exited;
    await page.close();
  });

  it('what a node says about itself is shown as text, never as markup', async () => {
    const markup = '"><img src=x class=injected><b class=injected>';
    const nodeId = `odd-${process.pid}`;
    const node = new ClusterNode({
      config: loadConfig({ REDIS_URL: redis.url, ...FAST_CLUSTER }),
      nodeId,
      role: `odd${markup}`,
      log: createLogger('silent'),
      meta: { [`note${markup}`]: `says${markup}` },
    });
    await node.start();
    try {
      const views: [string, string][] = [
        ['#/', `svg a[data-node="${nodeId}"]`],
        ['#/nodes', `#nodes tr[data-node="${nodeId}"]`],
        [`#/node/${nodeId}`, `#node-id:text("${nodeId}")`],
      ];
      for (const [view, shown] of views) {
        const page = await openPage(view);
        await page.waitForSelector(shown);
        assert.equal(await page.locator('#page img, #page .injected').count(), 0, view);
        assert.ok(((await page.textContent('#page')) ?? '').includes(`odd${markup}`), view);
        if (view.startsWith('#/node/')) {
          const text = (await page.textContent('#page')) ?? '';
          assert.ok(text.includes(`note${markup}`) && text.includes(`says${markup}`), text);
        }
        await page.close();
      }
    } finally {
      await node.stop();
    }
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
