import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

/**
 * examples/browser as a user runs it: the page's script bundled by esbuild, the page served
 * from its own origin, the API (allowing that origin by WORKMESH_CORS_ORIGINS) and a worker
 * loading the example's job module, on a private redis-server; driven in headless Chromium.
 */

const EXAMPLE = join(ROOT, 'examples/browser');
let redis: TestRedis;
let sites: Server[];
let siteUrl: string;
/** The same page from an origin the API does not allow. */
let otherSiteUrl: string;
let apiUrl: string;
let browser: Browser;

before(async () => {
  const bundle = await build({
    entryPoints: [join(EXAMPLE, 'page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const files: Record<string, [string, string]> = {
    '/': [readFileSync(join(EXAMPLE, 'index.html'), 'utf8'), 'text/html'],
    '/page.js': [bundle.outputFiles[0]!.text, 'text/javascript'],
  };
  const serve = async (): Promise<[Server, string]> => {
    const server = createServer((req, res) => {
      const file = files[new URL(req.url!, 'http://x').pathname];
      // The browser asks for /favicon.ico: no 404 in the page's console.
      if (!file) return res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
      res.writeHead(200, { 'content-type': `${file[1]}; charset=utf-8` }).end(file[0]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return [server, `http://127.0.0.1:${(server.address() as { port: number }).port}`];
  };
  const [[site, url], [other, otherUrl]] = [await serve(), await serve()];
  sites = [site, other];
  siteUrl = url;
  otherSiteUrl = otherUrl;

  redis = await startTestRedis();
  const env = {
    ...FAST_CLUSTER,
    WORKMESH_JOBS: join(EXAMPLE, 'jobs.ts'),
    WORKMESH_CORS_ORIGINS: siteUrl,
  };
  const api = startApiProcess(redis.url, env);
  const worker = startWorkerProcess(redis.url, env);
  apiUrl = (await api.ready).url!;
  await worker.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const site of sites ?? []) site.close();
  await stopAll();
  await redis?.stop();
});

describe('examples/browser: the typed client in a page', () => {
  it('compiles against the example job module (tsc, DOM types)', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [tsc, '-p', 'examples/browser/tsconfig.json'],
      { cwd: ROOT },
    ).catch((err: { stdout: string }) => assert.fail(`tsc failed:\n${err.stdout}`));
    assert.equal(stdout, '');
  });

  it('a page of another origin submits, follows the events and shows the value', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    const calls: string[] = [];
    page.on('request', (request) => calls.push(new URL(request.url()).origin));
    await page.goto(`${siteUrl}/?api=${encodeURIComponent(apiUrl)}`);
    await page.fill('#title', 'Jobs, from a Browser');
    await page.click('button');
    await page.waitForSelector('#value[data-status]');
    assert.equal(await page.getAttribute('#value', 'data-status'), 'done');
    assert.equal(await page.textContent('#value'), 'jobs-from-a-browser (4 words)');
    const events = await page.locator('#events li').allTextContents();
    assert.deepEqual(events, ['accepted', 'pending', 'done']);
    assert.deepEqual(errors, []);
    assert.ok(calls.includes(new URL(apiUrl).origin), 'the page never called the API');
    assert.notEqual(new URL(apiUrl).origin, siteUrl);
    await page.close();
  });

  it('the API refuses a page of an origin it does not allow', async () => {
    const page = await browser.newPage();
    await page.goto(`${otherSiteUrl}/?api=${encodeURIComponent(apiUrl)}`);
    await page.click('button');
    await page.waitForSelector('#value[data-status]');
    assert.equal(await page.getAttribute('#value', 'data-status'), 'error');
    assert.match((await page.textContent('#value')) ?? '', /cannot reach/);
    await page.close();
  });
});
