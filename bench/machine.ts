import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem, release, type } from 'node:os';

/** What the figures were measured on, for docs/benchmarks.md. */
export function describeMachine(redisVersion: string): string[] {
  let lscpu = '';
  try {
    lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  } catch {
    // not Linux, or no util-linux
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1]?.trim();
  return [
    `CPU: ${field('Model name') ?? cpus()[0]?.model ?? 'unknown'}, ${cpus().length} logical cores (nproc)` +
      (field('Hypervisor vendor') ? `, virtualized (${field('Hypervisor vendor')})` : ''),
    `Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; OS: ${type()} ${release()}`,
    `Node.js ${process.version}; Redis ${redisVersion} (private redis-server, no persistence, loopback TCP)`,
    `Load average at the start of the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (1, 5 and 15 minutes; above the core count, other work shared the machine)`,
  ];
}
