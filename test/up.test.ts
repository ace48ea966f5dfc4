import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { CLI, ROOT, isAlive, runCliToEnd } from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const dataDir = tempDir('up');
const env = {
  ...process.env,
  WORKMESH_DATA_DIR: dataDir,
  WORKMESH_PERMUTE_DELAY_MS: '0',
  REDIS_URL: '',
};

describe('workmesh up', () => {
  const started: number[] = [];
  after(() => {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('starts redis, the API and 2 workers; serves the seed curl flow; SIGTERM leaves nothing running', async () => {
    const up = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'up', '--port', '0', '--console-port', '0'],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.push(up.pid!);
    let out = '';
    up.stdout.on('data', (c: Buffer) => (out += c.toString()));
    up.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));

    await until('up to be ready', () => out.includes('Ctrl-C stops everything.'), Boolean, 30_000);
    const apiUrl = /api\s+(http:\/\/\S+)/.exec(out)?.[1];
    assert.match(out, /redis\s+redis:\/\/127\.0\.0\.1:\d+ \(private, AOF on/);
    assert.match(out, /workers\s+2: worker-/);
    assert.match(out, /curl -X POST/);

    const children = childrenOf(up.pid!);
    started.push(...children);
    assert.equal(
      children.length,
      5,
      `redis-server, api, 2 workers and sysmon: ${children.join(',')}`,
    );

    const consoleUrl = /console\s+(http:\/\/\S+)/.exec(out)?.[1];
    const consolePage = await fetch(`${consoleUrl}/`);
    assert.equal(consolePage.status, 200);
    assert.match(await consolePage.text(), /workmesh console/);

    const client = new WorkmeshClient({ baseUrl: apiUrl! });
    const res = await fetch(`${apiUrl}/api/work?data=some-string-goes-here`, { method: 'POST' });
    assert.equal(res.status, 202);
    const { callback } = (await res.json()) as { callback: string };
    const done = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');

    up.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    for (const pid of children) assert.equal(isAlive(pid), false, `process ${pid} still running`);
    assert.match(out, /stopped\./);
  });

  it('a port already in use gives a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCliToEnd(['up', '--port', String(port), '--workers', '1'], env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
      assert.match(result.stderr, /WM_ERR_PORT_IN_USE/);
    } finally {
      blocker.close();
    }
  });
});
