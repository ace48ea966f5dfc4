import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { MonitorSnapshot } from '../src/monitor/index.js';
import { startRedisServer } from '../src/redis/index.js';
import { renderFrame } from '../src/sysmon/index.js';
import { launchBrowser } from '../test/helpers/browser.js';

/**
 * npm run docs:screenshots: starts a small real cluster (private redis-server, API, two
 * workers, sysmon serving the console), runs work through it for a while so the charts have
 * something to show, and saves the console's overview, a node page, a job page and the metrics
 * history (its jobs go through the API, which counts them as accepted), and the
 * terminal view of the same moment, under docs/img/.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
const OUT = join(ROOT, 'docs/img');
const RUN_MS = 25_000;

const dir = mkdtempSync(join(tmpdir(), 'workmesh-shots-'));
const redis = await startRedisServer({ dir });
const env = {
  ...process.env,
  REDIS_URL: redis.url,
  WORKMESH_HEARTBEAT_MS: '500',
  WORKMESH_NODE_TTL_MS: '2000',
  WORKMESH_CLUSTER_SECRET: 'screenshots',
  WORKMESH_PERMUTE_DELAY_MS: '400',
  WORKMESH_MAX_ATTEMPTS: '1',
  WORKMESH_LOG_LEVEL: 'warn',
  // The library example's types too: its resize job keeps a line in its log (the job page).
  WORKMESH_JOBS: join(ROOT, 'examples/library/jobs.ts'),
};
const children: ChildProcess[] = [];

function start(args: string[]): Promise<string | undefined> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on('message', (m: { kind: string; url?: string; message?: string }) =>
      m.kind === 'ready' ? resolve(m.url) : reject(new Error(m.message)),
    );
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
  });
}

try {
  // The monitor first, so it sees the others join.
  const url = (await start(['sysmon', '--headless', '--console-port', '0']))!;
  const apiUrl = (await start(['api', '--port', '0']))!;
  await Promise.all([start(['worker']), start(['worker', '--concurrency', '4'])]);
  const post = (type: string, data: unknown): Promise<{ callback: string }> =>
    fetch(`${apiUrl}/api/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, data }),
    }).then((r) => r.json() as Promise<{ callback: string }>);

  // A varying load, so the charts are not flat lines; it goes on while the pictures are taken.
  let loading = true;
  let doneJob = '';
  const load = (async () => {
    for (let i = 0; loading; i++) {
      const burst = 2 + Math.round(4 * (1 + Math.sin(i / 6)));
      for (let j = 0; j < burst; j++) {
        await post('permute', `some-string-goes-here-${i}-${j}`);
      }
      if (i === 5) {
        const data = { url: 'https://example.com/cat.png', width: 640 };
        doneJob = (await post('resize', data)).callback;
      }
      await post('text-stats', { text: 'to be or not to be, that is the question' });
      if (i % 20 === 3) await post('hash', { text: `payload ${i}`, algorithm: 'sha512' });
      await sleep(250);
    }
  })();
  await sleep(RUN_MS);

  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const snapshot = (await (await fetch(`${url}/console/api/snapshot`)).json()) as MonitorSnapshot;
  // The terminal view of the same moment, for docs/console.md.
  writeFileSync(
    join(OUT, 'sysmon-frame.txt'),
    `${renderFrame(snapshot, 110, 26, {
      footer: 'console http://127.0.0.1:5984  ·  q to quit',
    })
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')}\n`,
  );
  const worker = snapshot.nodes.find((n) => n.role === 'worker')!;

  await page.goto(`${url}/#/`);
  await page.waitForSelector('#stat-nodes');
  await page.screenshot({ path: join(OUT, 'console-overview.png'), fullPage: true });

  await page.goto(`${url}/#/node/${encodeURIComponent(worker.id)}`);
  await page.waitForSelector('#node-id');
  await page.screenshot({ path: join(OUT, 'console-node.png'), fullPage: true });

  await page.goto(`${url}/#/job/${encodeURIComponent(doneJob)}`);
  await page.waitForSelector('#job-status .badge.done');
  await page.screenshot({ path: join(OUT, 'console-job.png'), fullPage: true });

  await page.goto(`${url}/#/history`);
  await page.waitForSelector('#history canvas');
  await page.screenshot({ path: join(OUT, 'console-history.png'), fullPage: true });

  // The jobs page: one type's jobs, every one on the page selected.
  await page.goto(`${url}/#/jobs/${encodeURIComponent('type=permute')}`);
  await page.waitForSelector('#jobs tr[data-job]');
  await page.click('#jobs-all');
  await page.waitForSelector('[data-bulk="retry"]:not([disabled])');
  await page.screenshot({ path: join(OUT, 'console-jobs.png') });

  await browser.close();
  loading = false;
  await load;
  process.stdout.write(`screenshots in ${OUT}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode === null
        ? new Promise<void>((resolve) => c.once('exit', () => resolve()))
        : Promise.resolve(),
    ),
  );
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
