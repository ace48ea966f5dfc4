import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../../src/redis/index.js';

export interface TestRedis {
  readonly url: string;
  readonly server: RedisServerHandle;
  /** A plain client for assertions (DBSIZE, HGETALL ...). */
  readonly client: Redis;
  /** Kill and start again on the same port and data (AOF). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A private redis-server on a free port with its data in a temp folder, for one test file. */
export async function startTestRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
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
