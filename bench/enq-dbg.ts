import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { startBenchRedis } from './redis.js';
import { loadPeer } from './peers/index.js';
const redis = await startBenchRedis();
const peer = await loadPeer((process.argv[2] ?? 'workmesh') as 'workmesh');
const producer = await peer.producer(redis.url);
const N = 20000;
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
await redis.resetStats();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 100 }, async () => {
    while (next < N) {
      next++;
      await producer.add({ t: Date.now() });
    }
  }),
);
const el = performance.now() - t0;
const used = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
writeFileSync('/tmp/wm9prof2/enq.cpuprofile', JSON.stringify(profile));
console.log(
  'enqueue/s',
  Math.round((N * 1000) / el),
  'node cpu ms',
  Math.round((used.user + used.system) / 1000),
  'wall',
  Math.round(el),
);
const info = await redis.client.info('commandstats');
for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
  if (Number(m[3]) / N > 0.5)
    console.log(
      m[1],
      'calls/job',
      (Number(m[2]) / N).toFixed(2),
      'usec/job',
      (Number(m[3]) / N).toFixed(1),
    );
await producer.close();
await redis.stop();
