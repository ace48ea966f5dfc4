// temporary profiling helper (not committed)
import { startBenchRedis } from './redis.js';
import { prefill } from './cases/queue.js';
import { loadPeer } from './peers/index.js';
const N = Number(process.argv[2] ?? 20000);
const redis = await startBenchRedis();
await prefill({ redis, peer: 'workmesh' }, N);
const peer = await loadPeer('workmesh');
await redis.resetStats();
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
let n = 0;
const t0 = performance.now();
let resolveDone!: () => void;
const done = new Promise<void>((r) => (resolveDone = r));
const w = await peer.worker(redis.url, {
  concurrency: 100,
  onDone: () => {
    if (++n === N) resolveDone();
  },
});
await done;
const el = performance.now() - t0;
const { profile } = await session.post('Profiler.stop');
writeFileSync('/tmp/wm9prof2/drain.cpuprofile', JSON.stringify(profile));
const used = process.cpuUsage(cpu0);
console.log('node cpu ms', Math.round((used.user + used.system) / 1000), 'of wall', Math.round(el));
console.log('drain', Math.round((N * 1000) / el), 'jobs/s');
const info = await redis.client.info('commandstats');
for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
  console.log(
    m[1],
    'calls/job',
    (Number(m[2]) / N).toFixed(2),
    'usec/job',
    (Number(m[3]) / N).toFixed(1),
  );
const cpu = await redis.client.info('cpu');
console.log(
  cpu
    .split('\n')
    .filter((l) => l.startsWith('used_cpu_'))
    .join(' '),
);
const calls = await redis.commandCalls();
console.log([...calls].map(([k, v]) => `${k}=${(v / N).toFixed(2)}`).join(' '));
await w.close();
await redis.stop();
