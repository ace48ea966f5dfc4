/**
 * HTTP: `POST /api/work` and `GET /api/status/<id>` against workmesh's API and a minimal
 * Fastify + BullMQ server, with autocannon (100 connections), each after one unmeasured second
 * of POSTs. POST runs with no worker (the
 * API's own cost); GET reads jobs a worker has finished. Every non-2xx answer fails the run.
 */
import autocannon from 'autocannon';
import { loadPeer, type PeerName } from '../peers/index.js';
import type { BenchRedis } from '../redis.js';
import { Child, untilCounted } from '../spawn.js';
import { startServer, type ServerName } from '../http/servers.js';

export interface HttpFigures {
  readonly postPerSec: number;
  readonly postP99: number;
  readonly getPerSec: number;
  readonly getP99: number;
}

export const BODY = JSON.stringify({ type: 'noop', data: { t: 0 } });

/** Submits n no-op jobs through a server's POST /api/work, 100 at a time: their callback ids. */
export async function submitJobs(baseUrl: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 100) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () =>
        fetch(`${baseUrl}/api/work`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: BODY,
        }).then((r) => r.json() as Promise<{ callback: string }>),
      ),
    );
    ids.push(...answers.map((a) => a.callback));
  }
  return ids;
}
const PEER_OF: Record<ServerName, PeerName> = { workmesh: 'workmesh', 'fastify+bullmq': 'bullmq' };

async function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  const result = await autocannon({ connections: 100, pipelining: 1, ...options });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

export async function httpRun(
  redis: BenchRedis,
  name: ServerName,
  durationSec: number,
  statusIds: number,
): Promise<HttpFigures> {
  await redis.flush();
  const server = await startServer(name, redis.url);
  try {
    // One unmeasured second first: both servers are measured warm (JIT, connections).
    await cannon({
      url: `${server.url}/api/work`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      duration: 1,
    });
    // Let the warm-up's last requests land before emptying Redis.
    await new Promise((r) => setTimeout(r, 1000));
    await redis.flush();
    const post = await cannon({
      url: `${server.url}/api/work`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      duration: durationSec,
    });
    const peer = await loadPeer(PEER_OF[name]);
    const waiting = await peer.waiting(redis.url);
    // Requests still in flight when autocannon stops may be queued without being counted.
    if (waiting < post.requests.total || waiting > post.requests.total + 100) {
      throw new Error(`${name}: ${post.requests.total} POSTs answered, ${waiting} jobs queued`);
    }
    // Jobs to read: a fresh set, finished by a worker.
    await redis.flush();
    const ids = await submitJobs(server.url, statusIds);
    const worker = await Child.start({
      role: 'worker',
      peer: PEER_OF[name],
      redisUrl: redis.url,
      concurrency: 100,
    });
    worker.go();
    await untilCounted([worker], ids.length, 60_000);
    await worker.stop();
    let next = 0;
    const get = await cannon({
      url: server.url,
      duration: durationSec,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: `/api/status/${ids[next++ % ids.length]}` }),
        },
      ],
    });
    return {
      postPerSec: post.requests.average,
      postP99: post.latency.p99,
      getPerSec: get.requests.average,
      getP99: get.latency.p99,
    };
  } finally {
    await server.stop();
  }
}
