/**
 * The API's own CPU time per request: `workmesh api` against a bare Fastify 5 route doing one
 * Redis write (POST) or one read (GET) (bench/http/bare-server.ts), under the same autocannon
 * load on the same private redis-server. Each server is its own process; its CPU time (user +
 * system, from /proc/<pid>/stat) over a measured stretch, divided by the requests answered in
 * it, is its cost per request. The servers take turns (A B A B ...) and the figures are
 * medians of the runs, so a machine shared with other work drifts both alike.
 *
 *   npm run bench:api [-- --runs 3] [--seconds 3] [--connections 100]
 *                     [--base <dir>]     also `workmesh api` from another checkout (before/after)
 *                     [--profile <dir>]  each server under --cpu-prof, profiles in <dir>
 *                     [--routes json,query,get] [--systems bare,base,workmesh]  some of them
 *                     [--rate <req/s>]   a fixed load below saturation: each server does the same
 *                                        work per second, so its CPU per request is comparable
 *                                        on a busy machine (default: as fast as they answer)
 *   npm run bench:api -- --top <file.cpuprofile> [--count 40]
 *                                        the profile's frames by self time, bench's own excluded
 *
 * Routes: `POST /api/work` with the JSON body of `npm run bench`, `POST /api/work?data=...`
 * (the seed's form) and `GET /api/status/<id>` over 500 jobs a worker finished (workmesh) or
 * 500 keys (bare). Every non-2xx answer fails the run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { BODY, submitJobs } from './cases/http.js';
import { startServer, type HttpServer } from './http/servers.js';
import { startBenchRedis, type BenchRedis } from './redis.js';
import { Child, untilCounted } from './spawn.js';
import { spread } from './stats.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100' },
    rate: { type: 'string' },
    base: { type: 'string' },
    profile: { type: 'string' },
    top: { type: 'string' },
    count: { type: 'string', default: '40' },
    routes: { type: 'string', default: 'json,query,get' },
    systems: { type: 'string' },
  },
});

/** A saved CPU profile's frames by self time (ms and share), the idle and GC lines included. */
function printTop(file: string, count: number): void {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url
      .replace(/^.*\/node_modules\//, '')
      .replace(/^file:\/\/.*?\/src\//, 'src/');
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  const busy = total - (self.get('(idle) :0:0') ?? 0);
  self.delete('(idle) :0:0');
  console.log(`${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(
      `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`,
    );
  }
}

if (flags.top !== undefined) {
  printTop(flags.top, Number(flags.count));
  process.exit(0);
}

const runs = Number(flags.runs);
const seconds = Number(flags.seconds);
const connections = Number(flags.connections);
/** Requests per second in all (autocannon's overallRate); default: as fast as answered. */
const rate = flags.rate === undefined ? undefined : Number(flags.rate);
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const QUERY = '/api/work?data=abcdef';
const STATUS_IDS = 500;

type System = 'bare' | 'workmesh' | 'base';
type Route = 'POST json' | 'POST ?data=' | 'GET status';
const ROUTE_FLAGS: Record<string, Route> = {
  json: 'POST json',
  query: 'POST ?data=',
  get: 'GET status',
};
const ROUTES = flags.routes.split(',').map((r) => ROUTE_FLAGS[r]!);
const systems = (
  flags.systems ?? (flags.base === undefined ? 'bare,workmesh' : 'bare,base,workmesh')
).split(',') as System[];

interface Figure {
  readonly perSec: number;
  /** The server process's CPU µs per request. */
  readonly cpuUs: number;
  /** redis-server's CPU µs per request. */
  readonly redisUs: number;
  /** This process's (autocannon's) CPU µs per request. */
  readonly loadUs: number;
}

/** The process's CPU time so far (user + system, every thread), µs. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  const result = await autocannon({
    connections,
    pipelining: 1,
    ...(rate === undefined ? {} : { overallRate: rate }),
    ...options,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

let redisPid = 0;

/** One measured stretch: requests per second and the CPU µs per request of each process. */
async function measure(server: HttpServer, options: autocannon.Options): Promise<Figure> {
  const before = [cpuOf(server.pid), cpuOf(redisPid)];
  const own = process.cpuUsage();
  const result = await cannon({ ...options, duration: seconds });
  const ownUs = process.cpuUsage(own);
  const n = result.requests.total;
  return {
    perSec: result.requests.average,
    cpuUs: (cpuOf(server.pid) - before[0]!) / n,
    redisUs: (cpuOf(redisPid) - before[1]!) / n,
    loadUs: (ownUs.user + ownUs.system) / n,
  };
}

const post = (server: HttpServer, path: string, body?: string): autocannon.Options => ({
  url: `${server.url}${path}`,
  method: 'POST',
  ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
});

/** Ids for GET: jobs a worker finished (workmesh), or keys the bare route wrote. */
async function statusIds(redis: BenchRedis, server: HttpServer, system: System): Promise<string[]> {
  await redis.flush();
  const ids = await submitJobs(server.url, STATUS_IDS);
  if (system !== 'bare') {
    const worker = await Child.start({
      role: 'worker',
      peer: 'workmesh',
      redisUrl: redis.url,
      concurrency: 100,
    });
    worker.go();
    await untilCounted([worker], ids.length, 60_000);
    await worker.stop();
  }
  return ids;
}

async function oneRun(redis: BenchRedis, system: System): Promise<Partial<Record<Route, Figure>>> {
  await redis.flush();
  const server = await startServer(system === 'bare' ? 'bare' : 'workmesh', redis.url, {
    ...(system === 'base' ? { root: resolve(flags.base!) } : {}),
    ...(flags.profile !== undefined
      ? {
          execArgv: [
            '--cpu-prof',
            `--cpu-prof-dir=${resolve(flags.profile)}`,
            '--cpu-prof-interval=250',
            // Each function's own time, not its callers': nothing inlined into them.
            ...(process.env.BENCH_NO_INLINING ? ['--no-turbo-inlining'] : []),
          ],
        }
      : {}),
  });
  try {
    // Warm: JIT, connections, both forms of POST.
    await cannon({ ...post(server, '/api/work', BODY), duration: 1 });
    await cannon({ ...post(server, QUERY), duration: 1 });
    const got: Partial<Record<Route, Figure>> = {};
    if (ROUTES.includes('POST json')) {
      await redis.flush();
      got['POST json'] = await measure(server, post(server, '/api/work', BODY));
    }
    if (ROUTES.includes('POST ?data=')) {
      await redis.flush();
      got['POST ?data='] = await measure(server, post(server, QUERY));
    }
    if (ROUTES.includes('GET status')) {
      const ids = await statusIds(redis, server, system);
      let next = 0;
      got['GET status'] = await measure(server, {
        url: server.url,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: `/api/status/${ids[next++ % ids.length]}` }),
          },
        ],
      });
    }
    return got;
  } finally {
    await server.stop();
  }
}

const redis = await startBenchRedis();
redisPid = Number(/process_id:(\d+)/.exec(await redis.client.info('server'))?.[1]);
const figures = new Map<System, Partial<Record<Route, Figure>>[]>(systems.map((s) => [s, []]));
console.log(
  `load before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ' ',
    )}; ${runs} runs of ${systems.join(', ')}, ${seconds} s per route, ${connections} connections`,
);
try {
  for (let run = 1; run <= runs; run++) {
    for (const system of systems) {
      const got = await oneRun(redis, system);
      figures.get(system)!.push(got);
      console.log(
        `run ${run} ${system.padEnd(8)} ${ROUTES.map(
          (r) =>
            `${r}: ${Math.round(got[r]!.perSec)} req/s ${got[r]!.cpuUs.toFixed(0)} µs (redis ${got[r]!.redisUs.toFixed(0)}, load ${got[r]!.loadUs.toFixed(0)})`,
        ).join(' | ')}`,
      );
    }
  }
} finally {
  await redis.stop();
}

console.log(
  `\nmedians of ${runs} runs: the server's CPU µs per request (min–max), redis-server's, req/s`,
);
console.log(`| route | ${systems.map((s) => `${s} µs | redis µs | req/s`).join(' | ')} |`);
console.log(`| --- | ${systems.map(() => '---: | ---: | ---:').join(' | ')} |`);
for (const route of ROUTES) {
  const cells = systems.map((s) => {
    const list = figures.get(s)!;
    const us = spread(list.map((f) => f[route]!.cpuUs));
    const redisUs = spread(list.map((f) => f[route]!.redisUs));
    const rps = spread(list.map((f) => f[route]!.perSec));
    return `${us.median.toFixed(0)} (${us.min.toFixed(0)}–${us.max.toFixed(0)}) | ${redisUs.median.toFixed(0)} | ${Math.round(rps.median)}`;
  });
  console.log(`| ${route} | ${cells.join(' | ')} |`);
}
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
