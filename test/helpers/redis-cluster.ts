import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../../src/redis/index.js';

const run = promisify(execFile);

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:<port of the first master>`: what workmesh takes. */
  readonly url: string;
  readonly ports: readonly number[];
  readonly servers: readonly RedisServerHandle[];
  /** A cluster client for assertions. */
  readonly client: Cluster;
  /** A plain client per master, for per-node commands (DBSIZE, CLIENT LIST, ...). */
  masters(): Redis[];
  /** The port of the master that serves this key now (asked of a node still up). */
  masterPortOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      return port;
    }
  }
}

export interface TestClusterOptions {
  /** Replicas per master (a replica takes over when its master fails). */
  readonly replicas?: number;
  /** cluster-node-timeout: how long a master must be silent to be failed over. */
  readonly nodeTimeoutMs?: number;
}

/**
 * A private 3-master Redis Cluster (no replicas unless asked) in a temp folder, for one test
 * file: `redis-server --cluster-enabled yes` per node, `redis-cli --cluster create`, then waits
 * until every node reports cluster_state:ok (and every replica is in sync).
 */
export async function startTestRedisCluster(
  masterCount = 3,
  options: TestClusterOptions = {},
): Promise<TestRedisCluster> {
  const { replicas = 0, nodeTimeoutMs = 5000 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'workmesh-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < masterCount * (1 + replicas); i++) ports.push(await clusterPort(taken));
  const servers = await Promise.all(
    ports.map((port) =>
      startRedisServer({
        dir,
        port,
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--appendonly',
          'no',
        ],
      }),
    ),
  );
  const stopServers = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    const deadline = performance.now() + 20_000;
    for (;;) {
      const states = await Promise.all(
        ports.map(
          async (p) => (await run('redis-cli', ['-p', String(p), 'cluster', 'info'])).stdout,
        ),
      );
      const synced = await Promise.all(
        ports.map(async (p) => {
          const info = (await run('redis-cli', ['-p', String(p), 'info', 'replication'])).stdout;
          return info.includes('role:master') || info.includes('master_link_status:up');
        }),
      );
      if (states.every((s) => s.includes('cluster_state:ok')) && synced.every(Boolean)) break;
      if (performance.now() > deadline) throw new Error(`cluster not ok:\n${states.join('\n')}`);
      await sleep(100);
    }
  } catch (err) {
    await stopServers();
    throw err;
  }
  const client = new Cluster([{ host: '127.0.0.1', port: ports[0]! }], {
    redisOptions: { maxRetriesPerRequest: null },
  });
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('ready', resolve));
  const plain: Redis[] = [];
  return {
    url: `redis+cluster://127.0.0.1:${ports[0]}`,
    ports,
    servers,
    client,
    masters() {
      const clients = ports.map((p) => new Redis(p, '127.0.0.1', { maxRetriesPerRequest: null }));
      plain.push(...clients);
      return clients;
    },
    async masterPortOf(key) {
      const slot = await client.cluster('KEYSLOT', key);
      const shards = await client.cluster('SLOTS');
      const master = shards.find(([from, to]) => from <= slot && slot <= to)?.[2];
      if (!master) throw new Error(`no master serves slot ${slot}`);
      return master[1];
    },
    async stop() {
      client.disconnect();
      for (const c of plain) c.disconnect();
      await stopServers();
    },
  };
}
