import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../../src/redis/index.js';
import { startTestRedisCluster } from './redis-cluster.js';

export interface TestRedis {
  readonly url: string;
  readonly server: RedisServerHandle;
  /** A plain client for assertions (DBSIZE, HGETALL ...). */
  readonly client: Redis;
  /** KEYS pattern over every master (a cluster's keys are spread over its masters). */
  keys(pattern: string): Promise<string[]>;
  /** DBSIZE summed over every master. */
  dbsize(): Promise<number>;
  /** Kill and start again on the same port and data (AOF). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether this run's tests go to a 3-master Redis Cluster (npm run test:cluster). */
export const ON_CLUSTER = process.env.WORKMESH_TEST_REDIS === 'cluster';

/**
 * A private redis-server on a free port with its data in a temp folder, for one test file; with
 * WORKMESH_TEST_REDIS=cluster, a private 3-master Redis Cluster instead (its `client` a cluster
 * client, `server` the first master; restart() is for a single server only).
 */
export async function startTestRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
  if (ON_CLUSTER) {
    const cluster = await startTestRedisCluster();
    return {
      url: cluster.url,
      server: cluster.servers[0]!,
      client: cluster.client as unknown as Redis,
      async keys(pattern) {
        const nodes = cluster.client.nodes('master');
        return (await Promise.all(nodes.map((n) => n.keys(pattern)))).flat();
      },
      async dbsize() {
        const nodes = cluster.client.nodes('master');
        return (await Promise.all(nodes.map((n) => n.dbsize()))).reduce((a, b) => a + b, 0);
      },
      restart() {
        throw new Error('restart() needs a single redis-server; not available on a cluster');
      },
      stop: () => cluster.stop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'workmesh-test-'));
  let server = await startRedisServer({ dir, extraArgs });
  const client = new Redis(server.url, { maxRetriesPerRequest: null, lazyConnect: false });
  client.on('error', () => undefined);
  return {
    url: server.url,
    get server() {
      return server;
    },
    client,
    keys: (pattern) => client.keys(pattern),
    dbsize: () => client.dbsize(),
    async restart() {
      await server.stop();
      server = await startRedisServer({ dir, port: server.port, extraArgs });
    },
    async stop() {
      client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
