/**
 * Runs the test suite (`node --import tsx --test <args>`, output untouched: its `# pass N` /
 * `# fail N` summary is what CI reads), then checks that nothing the suite started is still
 * alive: every process a test starts (redis-server, workers, APIs, `up`, ports, Chromium)
 * inherits WORKMESH_TEST_RUN from this run, so any process still carrying it in its
 * environment afterwards is a leak. Leftovers are listed, killed, and fail the run.
 *
 *   node --import tsx scripts/test.ts --test-concurrency=2 --test-timeout=240000 test/*.test.ts
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const run = randomUUID();
const marker = `WORKMESH_TEST_RUN=${run}`;

/** Live processes (not zombies) whose environment carries this run's marker. */
function leftovers(): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!env.split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ');
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

// Off a terminal (CI), the TAP reporter on every Node line: Node 20 picks it there by itself,
// Node 24 picks spec; CI reads TAP's closing `# pass N` / `# fail N`.
const args = process.argv.slice(2);
const reporter =
  process.stdout.isTTY || args.some((a) => a.startsWith('--test-reporter'))
    ? []
    : ['--test-reporter=tap'];
const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...reporter, ...args], {
  stdio: 'inherit',
  env: { ...process.env, WORKMESH_TEST_RUN: run },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
const code = await new Promise<number>((resolve) =>
  child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
);

// A process stopped at the very end may take a moment to go: look again for a few seconds.
let left = leftovers();
for (let i = 0; i < 50 && left.length > 0; i++) {
  await sleep(100);
  left = leftovers();
}
if (left.length > 0) {
  console.error(`\n# leaked ${left.length} process(es) started by the tests, still alive:`);
  for (const { pid, command } of left) {
    console.error(`#   ${pid} ${command.slice(0, 200)}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
process.exit(code !== 0 ? code : left.length > 0 ? 1 : 0);
