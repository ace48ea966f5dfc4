import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  ensureRedisServerBinary,
  freePort,
  startRedisServer,
  type RedisServerHandle,
} from '../../src/redis/index.js';

export interface SentinelOptions {
  /** requirepass of the master and the replica (and masterauth). */
  readonly password?: string;
  /** requirepass of the sentinels. */
  readonly sentinelPassword?: string;
  /** down-after-milliseconds: how long a master must be silent to be failed over. */
  readonly downAfterMs?: number;
}

export interface TestRedisSentinel {
  /** `redis+sentinel://[:password@]<3 sentinels>/<master>[?sentinelPassword=..]`. */
  readonly url: string;
  readonly masterName: string;
  readonly sentinelPorts: readonly number[];
  /** The data servers: [0] the first master, [1] its replica. */
  readonly servers: readonly RedisServerHandle[];
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/** Waits until a redis-server on that port answers PING. */
async function answering(port: number, password?: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      ...(password === undefined ? {} : { password }),
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      if (performance.now() > deadline) throw new Error(`nothing answers on ${port}`);
      await sleep(50);
    } finally {
      probe.disconnect();
    }
  }
}

/**
 * A private master + replica + 3 sentinels (`redis-server <conf> --sentinel`, the same binary:
 * Debian's redis-sentinel package only adds a service around it) on free ports, for one test
 * file; answers once the sentinels know the replica, so a failover can happen.
 */
export async function startTestRedisSentinel(
  options: SentinelOptions = {},
): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'workmesh-sentinel-'));
  const masterName = 'wm-master';
  const { password, sentinelPassword, downAfterMs = 1000 } = options;
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  const persistence = ['--appendonly', 'no'];
  const master = await startRedisServer({
    dir: join(dir, 'm'),
    extraArgs: [...auth, ...persistence],
  });
  const replica = await startRedisServer({
    dir: join(dir, 'r'),
    extraArgs: [...auth, ...persistence, '--replicaof', '127.0.0.1', String(master.port)],
  });
  const binary = ensureRedisServerBinary();
  const sentinels: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      sentinels.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.exitCode !== null || s.signalCode !== null) return resolve();
            s.once('exit', () => resolve());
            s.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all([master.stop(), replica.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
          ...(sentinelPassword === undefined ? [] : [`requirepass ${sentinelPassword}`]),
          '',
        ].join('\n'),
      );
      const child = spawn(binary, [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.resume();
      sentinels.push(child);
      sentinelPorts.push(port);
    }
    await Promise.all(sentinelPorts.map((p) => answering(p, sentinelPassword)));
    // Ready for a failover when every sentinel lists the replica and sees the others.
    const deadline = performance.now() + 30_000;
    for (;;) {
      const views = await Promise.all(
        sentinelPorts.map(async (port) => {
          const s = new Redis(port, '127.0.0.1', {
            ...(sentinelPassword === undefined ? {} : { password: sentinelPassword }),
          });
          try {
            const replicas = (await s.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
            const master = (await s.call('SENTINEL', 'MASTER', masterName)) as string[];
            const others = Number(master[master.indexOf('num-other-sentinels') + 1]);
            return replicas.length === 1 && others === 2;
          } finally {
            s.disconnect();
          }
        }),
      );
      if (views.every(Boolean)) break;
      if (performance.now() > deadline) throw new Error('sentinels never saw the replica');
      await sleep(200);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const userinfo = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  const query =
    sentinelPassword === undefined
      ? ''
      : `?sentinelPassword=${encodeURIComponent(sentinelPassword)}`;
  return {
    url: `redis+sentinel://${userinfo}${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}${query}`,
    masterName,
    sentinelPorts,
    servers: [master, replica],
    async masterPort() {
      const s = new Redis(sentinelPorts[0]!, '127.0.0.1', {
        ...(sentinelPassword === undefined ? {} : { password: sentinelPassword }),
      });
      try {
        const [, port] = (await s.call(
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          masterName,
        )) as string[];
        return Number(port);
      } finally {
        s.disconnect();
      }
    },
    stop: stopAll,
  };
}
