import { startBenchRedis } from './redis.js';
import { Child, untilCounted } from './spawn.js';
import { percentile } from './stats.js';
const redis = await startBenchRedis();
const peer = (process.argv[2] ?? 'workmesh') as 'workmesh';
const rate = Number(process.argv[3] ?? 500);
const [w, p] = await Promise.all([
  Child.start({ role: 'worker', peer, redisUrl: redis.url, concurrency: 100 }),
  Child.start({
    role: 'producer',
    peer,
    redisUrl: redis.url,
    mode: 'rate',
    jobs: 1000,
    perSec: rate,
  }),
]);
w.go();
await new Promise((r) => setTimeout(r, 300));
p.go();
await untilCounted([w], 1000, 30000);
await p.exit();
const l = await w.stop();
console.log(
  peer,
  rate,
  'p50',
  percentile(l, 50).toFixed(2),
  'p90',
  percentile(l, 90).toFixed(2),
  'p99',
  percentile(l, 99).toFixed(2),
);
await redis.stop();
