import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../src/redis/index.js';

/** The one private redis-server every system is measured on (no persistence: equal for all). */
export interface BenchRedis {
  readonly url: string;
  readonly client: Redis;
  readonly version: string;
  flush(): Promise<void>;
  usedMemory(): Promise<number>;
  resetStats(): Promise<void>;
  /** Calls per command since resetStats(), from INFO commandstats. */
  commandCalls(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'workmesh-bench-'));
  const server: RedisServerHandle = await startRedisServer({
    dir,
    extraArgs: ['--appendonly', 'no', '--save', ''],
  });
  const client = new Redis(server.url);
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return {
    url: server.url,
    client,
    version,
    async flush() {
      await client.flushall();
      // Let lazily freed memory go before a memory reading.
      await new Promise((r) => setTimeout(r, 50));
    },
    async usedMemory() {
      const mem = await client.info('memory');
      return Number(/used_memory:(\d+)/.exec(mem)?.[1]);
    },
    async resetStats() {
      await client.config('RESETSTAT');
    },
    async commandCalls() {
      const stats = await client.info('commandstats');
      const calls = new Map<string, number>();
      for (const m of stats.matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
        calls.set(m[1]!, Number(m[2]));
      return calls;
    },
    async stop() {
      client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
