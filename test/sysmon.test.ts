import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { MonitorSnapshot } from '../src/monitor/index.js';
import { colorWanted, renderFrame, statusLine, textWidth } from '../src/sysmon/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import {
  CLI,
  ROOT,
  runCli,
  runCliToEnd,
  startWorkerProcess,
  stopAll,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

const AT = Date.UTC(2026, 10, 27, 12, 0, 0);

function node(id: string, role: string, extra: Partial<MonitorSnapshot['nodes'][number]> = {}) {
  return {
    id,
    role,
    host: 'box1',
    pid: 4242,
    version: '0.1.0',
    startedAt: AT - 3_723_000,
    offers:
      role === 'worker' ? { types: ['permute'], concurrency: 10 } : { types: [], concurrency: 0 },
    figures: {
      inFlight: role === 'worker' ? 3 : 0,
      processed: 120,
      failed: 2,
      heapUsedBytes: 40 * 1048576,
      rssBytes: 120 * 1048576,
      cpuPercent: 12.5,
      eventLoopLagMs: 1.2,
    },
    ttlMs: 6000,
    heartbeatAgeMs: 800,
    ...extra,
  };
}

function fixture(events = 3): MonitorSnapshot {
  const point = {
    at: AT,
    acceptedPerSec: 10,
    donePerSec: 9.5,
    failedPerSec: 0.5,
    latencyP50Ms: 3010,
    latencyP95Ms: 3200,
  };
  return {
    at: AT,
    monitor: 'sysmon-box1-1-aaaaaa',
    intervalMs: 1000,
    redisOk: true,
    nodes: [node('api-box1-1-aaaaaa', 'api'), node('worker-box1-2-bbbbbb', 'worker')],
    queues: [
      {
        queue: 'permute',
        waiting: 7,
        active: 3,
        delayed: 1,
        dead: 4,
        accepted: 200,
        done: 180,
        failed: 4,
        perSec: 9.5,
      },
    ],
    events: Array.from({ length: events }, (_, i) => ({
      at: AT - (events - i) * 1000,
      event: i % 2 === 0 ? ('joined' as const) : ('left' as const),
      nodeId: `worker-box1-${i}-cccccc`,
      role: 'worker',
      host: 'box1',
      ...(i % 2 === 1 ? { reason: 'expired' } : {}),
    })),
    recentJobs: [],
    throughput: point,
    history: { throughput: [point], nodes: {} },
  };
}

describe('the terminal view (rendered to a string)', () => {
  it('draws nodes, queues and membership events in exactly width x height', () => {
    const frame = renderFrame(fixture(), 120, 30);
    const lines = frame.split('\n');
    assert.equal(lines.length, 30);
    for (const l of lines) assert.equal(l.length, 120, JSON.stringify(l));
    assert.match(
      lines[0]!,
      /workmesh sysmon {2}12:00:00 UTC {2}nodes 2 {2}queues 1 {2}done\/s 9\.5/,
    );
    assert.match(lines[0]!, /p50\/p95 3010\/3200ms {2}redis ok/);
    const text = lines.join('\n');
    assert.match(
      text,
      /NODE\s+ROLE\s+HOST\s+UPTIME\s+BEAT\s+INFL\s+DONE\s+FAIL\s+HEAP\s+RSS\s+CPU\s+LAG/,
    );
    assert.match(
      text,
      /worker-box1-2-bbbbbb\s+worker\s+box1\s+1h02m\s+0\.8s\s+3\s+120\s+2\s+40M\s+120M\s+12\.5%\s+1\.2ms/,
    );
    assert.match(text, /QUEUE\s+WAITING\s+ACTIVE\s+DELAYED\s+DEAD\s+DONE\s+FAILED\s+JOBS\/S/);
    assert.match(text, /permute\s+7\s+3\s+1\s+4\s+180\s+4\s+9\.5/);
    assert.match(text, /11:59:57 {2}joined {2}worker-box1-0-cccccc {2}worker on box1/);
    assert.match(text, /11:59:58 {2}left {4}worker-box1-1-cccccc {2}worker on box1 \(expired\)/);
    assert.match(lines.at(-1)!, /^Ctrl-C to quit/);
  });

  it('keeps the newest events that fit, and cuts long lines with an ellipsis', () => {
    const frame = renderFrame(fixture(40), 60, 20, { footer: 'console http://127.0.0.1:5984' });
    const lines = frame.split('\n');
    assert.equal(lines.length, 20);
    assert.ok(lines.every((l) => l.length === 60));
    assert.ok(lines.some((l) => l.endsWith('…')));
    assert.ok(frame.includes('worker-box1-39-cccccc'), 'the newest event is shown');
    assert.ok(!frame.includes('worker-box1-0-cccccc'), 'the oldest is not');
    assert.match(lines.at(-1)!, /^console http:\/\/127\.0\.0\.1:5984/);
  });

  it('with color, titles are bold and the header inverse', () => {
    const frame = renderFrame(fixture(), 100, 24, { color: true });
    assert.ok(frame.startsWith('\x1b[7mworkmesh sysmon'));
    assert.ok(frame.includes('\x1b[1mNodes (2)\x1b[22m'));
    // Every line fills the width it shows, titles too: a redraw leaves no tail of the last frame.
    // eslint-disable-next-line no-control-regex
    const shown = frame.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    for (const l of shown) assert.equal(l.length, 100, JSON.stringify(l));
  });

  it('measures wide characters: every line is exactly the width in columns', () => {
    const wide = fixture();
    const host = '東京データセンター-ラック七'; // 13 wide characters: 26 columns, 13 code units
    const nodes = wide.nodes.map((n) => ({ ...n, host, id: `worker-${host}-7-dddddd` }));
    const frame = renderFrame({ ...wide, nodes }, 80, 24, { color: true });
    const lines = frame.split('\n');
    assert.equal(lines.length, 24);
    for (const l of lines) assert.equal(textWidth(l), 80, JSON.stringify(l));
    assert.ok(frame.includes(host), 'the wide host name is shown whole where it fits');
    // Cut where it does not fit: never half a wide character, and the cut is marked.
    const narrow = renderFrame({ ...wide, nodes }, 30, 24).split('\n');
    for (const l of narrow) assert.equal(textWidth(l), 30, JSON.stringify(l));
    assert.ok(narrow.some((l) => l.includes('…')));
    assert.equal(textWidth('😀é'), 3, 'an emoji takes two columns, e with a combining mark one');
  });

  it('NO_COLOR (set and not empty) turns color off', () => {
    assert.equal(colorWanted({}), true);
    assert.equal(colorWanted({ NO_COLOR: '' }), true);
    assert.equal(colorWanted({ NO_COLOR: '1' }), false);
  });

  it('the plain loop prints one status line with the changes since the last one', () => {
    const line = statusLine(fixture(2), AT - 1500);
    assert.equal(
      line,
      '12:00:00 nodes=2 (api=1,worker=1) queues permute:7w/3a/4d done/s=9.5 failed/s=0.5 | left worker-box1-1-cccccc',
    );
    assert.doesNotMatch(statusLine(fixture(2), AT), /\|/);
  });
});

describe('workmesh sysmon against a real cluster', () => {
  let redis: TestRedis;
  before(async () => (redis = await startTestRedis()));
  after(async () => {
    await stopAll();
    await redis.stop();
  });
  const env = (): Record<string, string> => ({
    ...FAST_CLUSTER,
    REDIS_URL: redis.url,
    WORKMESH_SYSMON_INTERVAL_MS: '200',
  });

  it('not on a terminal: one status line per interval, with membership changes', async () => {
    const sysmon = runCli(['sysmon', '--no-console'], env());
    await sysmon.ready;
    const worker = startWorkerProcess(redis.url, FAST_CLUSTER);
    const { nodeId } = await worker.ready;
    await until(
      'the joined line',
      () => sysmon.output(),
      (o) => o.includes(`joined ${nodeId}`),
    );
    await until(
      'a line counting the worker',
      () => sysmon.output(),
      (o) => /nodes=2 \(sysmon=1,worker=1\) queues hash:0w\/0a\/0d permute:0w\/0a\/0d/.test(o),
    );
    worker.child.kill('SIGTERM');
    await worker.exited;
    await until(
      'the left line',
      () => sysmon.output(),
      (o) => o.includes(`left ${nodeId}`),
    );
    sysmon.child.kill('SIGTERM');
    assert.equal(await sysmon.exited, 0, sysmon.output());
    assert.ok(!sysmon.output().includes('\x1b['), 'no escape codes off a terminal');
  });

  it('--once prints one line; --once --json the snapshot', async () => {
    const worker = startWorkerProcess(redis.url, FAST_CLUSTER);
    const { nodeId } = await worker.ready;
    const plain = await runCliToEnd(['sysmon', '--once'], env());
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^\d\d:\d\d:\d\d nodes=1 \(worker=1\) queues hash:/);
    assert.equal(plain.stdout.trim().split('\n').length, 1);
    const json = await runCliToEnd(['sysmon', '--once', '--json'], env());
    const snapshot = JSON.parse(json.stdout) as MonitorSnapshot;
    assert.deepEqual(
      snapshot.nodes.map((n) => n.id),
      [nodeId],
    );
    assert.ok(snapshot.queues.some((q) => q.queue === 'permute'));
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  /** `workmesh sysmon` on a pseudo-terminal (script(1)) of 100 x 30, until two frames are drawn. */
  async function onTerminal(extraEnv: Record<string, string> = {}) {
    const command = [process.execPath, '--import', 'tsx', CLI, 'sysmon', '--no-console']
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn(
      'script',
      ['-qfec', `stty cols 100 rows 30; exec ${command}`, '/dev/null'],
      {
        cwd: ROOT,
        env: { ...process.env, ...env(), TERM: 'xterm', ...extraEnv },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await until(
        'two frames',
        () => out.split('\x1b[H').length,
        (n) => n >= 3,
        30_000,
      );
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return { child, output: () => out, exited };
  }

  it('on a terminal (a pseudo-terminal by script(1)): full-screen redraws, terminal restored on Ctrl-C', async () => {
    const { child, output, exited } = await onTerminal();
    try {
      const out = output();
      assert.ok(out.includes('\x1b[?1049h\x1b[?25l'), 'alternate screen on, cursor hidden');
      const frame = out.split('\x1b[H').at(-2)!;
      assert.match(frame, /workmesh sysmon/);
      assert.match(frame, /Nodes \(1\)/);
      assert.match(frame, /sysmon-/);
      assert.match(frame, /q to quit/);
      assert.ok(frame.includes('\x1b[7m'), 'the header in inverse');
      // Ctrl-C through the terminal: the view reads keys in raw mode, so it gets it as a key.
      child.stdin.write('\x03');
      assert.equal(await exited, 0);
      assert.ok(output().includes('\x1b[?25h\x1b[?1049l'), 'cursor shown, alternate screen off');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('on a terminal, q quits and gives the terminal back; NO_COLOR draws without bold or inverse', async () => {
    const { child, output, exited } = await onTerminal({ NO_COLOR: '1' });
    try {
      const frame = output().split('\x1b[H').at(-2)!;
      assert.match(frame, /workmesh sysmon/);
      // eslint-disable-next-line no-control-regex -- escape codes are what is checked
      assert.ok(!/\x1b\[(1|7|22|27)m/.test(frame), 'no bold or inverse with NO_COLOR');
      child.stdin.write('q');
      assert.equal(await exited, 0);
      assert.ok(output().includes('\x1b[?25h\x1b[?1049l'), 'cursor shown, alternate screen off');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
