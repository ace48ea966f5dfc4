import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import { ensureRedisServerBinary, freePort } from '../src/redis/index.js';
import { buildTestApi } from './helpers/api.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { runCliToEnd, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';

const started: TestRedis[] = [];
after(async () => {
  await stopAll();
  await Promise.all(started.map((r) => r.stop()));
});

async function redisWith(args: string[]): Promise<TestRedis> {
  const redis = await startTestRedis(args);
  started.push(redis);
  return redis;
}

/** Submits over HTTP to an API process and waits for a worker process to finish the job. */
async function flowThrough(redisUrl: string, env: Record<string, string> = {}): Promise<void> {
  const api = startApiProcess(redisUrl, { ...FAST_CLUSTER, ...env });
  const worker = startWorkerProcess(redisUrl, { ...FAST_CLUSTER, ...env });
  const [{ url }] = await Promise.all([api.ready, worker.ready]);
  const client = new WorkmeshClient({ baseUrl: url! });
  const { callback } = await client.submit('permute', 'secure');
  const done = await client.wait(callback, { timeoutMs: 20_000 });
  assert.equal(done.status, 'done');
  assert.equal([...String(done.value)].sort().join(''), [...'secure'].sort().join(''));
  await stopAll();
}

describe('Redis credentials', () => {
  const password = 'redis-pw-0123456789abcdef';

  it('runs the whole flow against a redis-server with requirepass', async () => {
    const redis = await redisWith(['--requirepass', password]);
    await flowThrough(redis.url.replace('redis://', `redis://:${password}@`));
  });

  it('runs it as an ACL user confined to the key prefix', async () => {
    const redis = await redisWith(['--requirepass', password]);
    const admin = new Redis(redis.url, { password });
    // Only keys and channels under the prefix: the flow must never touch anything else. A
    // PSUBSCRIBE pattern must be allowed literally (docs/security.md gives this ACL).
    await admin.call(
      'ACL',
      'SETUSER',
      'wm',
      'on',
      '>wm-user-pw-0123456789',
      '~wm:*',
      '&wm:*',
      '&wm:{*}:events',
      '+@all',
    );
    admin.disconnect();
    await flowThrough(redis.url.replace('redis://', 'redis://wm:wm-user-pw-0123456789@'));
  });

  it('a wrong password stops the process with a clear error', async () => {
    const redis = await redisWith(['--requirepass', password]);
    const { code, stderr } = await runCliToEnd(['worker'], {
      REDIS_URL: redis.url.replace('redis://', 'redis://:wrong-password@'),
    });
    assert.equal(code, 1);
    assert.match(stderr, /WM_ERR_REDIS_AUTH/);
    assert.match(stderr, /WRONGPASS/);
    assert.doesNotMatch(stderr, /wrong-password/, 'the password is not echoed');
  });
});

/**
 * Whether this redis-server was built with TLS, asked precisely: `tls-port` followed by a
 * directive no build knows. A build without TLS stops at `tls-port` (no such directive); one
 * with TLS takes it and stops at the unknown one. Nothing starts either way. Any other
 * answer is an error, never a skip.
 */
function redisServerHasTls(): boolean {
  const probe = 'workmesh-probe-not-a-directive';
  const r = spawnSync(ensureRedisServerBinary(), ['--tls-port', '0', `--${probe}`, 'x'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  if (out.includes(`'tls-port "0"'`)) return false;
  if (out.includes(`'${probe} "x"'`)) return true;
  throw new Error(`cannot tell whether redis-server has TLS:\n${out}`);
}

/** Whether openssl is on the PATH (to make test certificates). */
function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).error === undefined;
}

/** Why the TLS tests cannot run here, or undefined when they must run (and pass). */
function tlsSkipReason(): string | undefined {
  if (!hasOpenssl()) return 'openssl is not installed: cannot make test certificates';
  if (!redisServerHasTls()) return 'this redis-server was built without TLS';
  return undefined;
}

/** A test CA and a server certificate for 127.0.0.1 in a temp folder (removed after the file). */
function makeTestCerts(): string {
  const dir = tempDir('tls');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=workmesh-test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl failed to make the test certificates: ${stderr}`, { cause: err });
  }
  return dir;
}

describe('Redis over TLS', () => {
  it('runs the whole flow over rediss:// with the CA in NODE_EXTRA_CA_CERTS', async (t) => {
    const skip = tlsSkipReason();
    if (skip !== undefined) return t.skip(skip);
    const dir = makeTestCerts();
    const { createServer } = await import('node:net');
    const tlsPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await redisWith([
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
    ]);
    await flowThrough(`rediss://127.0.0.1:${tlsPort}`, {
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'),
    });
  });
  it('runs the whole flow over rediss+sentinel:// (TLS to the sentinel and to the master)', async (t) => {
    const skip = tlsSkipReason();
    if (skip !== undefined) return t.skip(skip);
    const dir = makeTestCerts();
    const tls = (port: number) => [
      `tls-port ${port}`,
      `tls-cert-file ${join(dir, 'server.crt')}`,
      `tls-key-file ${join(dir, 'server.key')}`,
      `tls-ca-cert-file ${join(dir, 'ca.crt')}`,
      'tls-auth-clients no',
    ];
    const masterTlsPort = await freePort();
    await redisWith(
      tls(masterTlsPort).flatMap((line) => line.split(' ').map((w, i) => (i === 0 ? `--${w}` : w))),
    );
    const sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        'port 0',
        'bind 127.0.0.1',
        `dir ${dir}`,
        ...tls(sentinelPort),
        'tls-replication yes', // the sentinel talks TLS to the master too
        `sentinel monitor wm-master 127.0.0.1 ${masterTlsPort} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = spawn(ensureRedisServerBinary(), [conf, '--sentinel'], { stdio: 'ignore' });
    try {
      await flowThrough(`rediss+sentinel://127.0.0.1:${sentinelPort}/wm-master`, {
        NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'),
      });
    } finally {
      sentinel.kill('SIGTERM');
    }
  });
});

describe('Redis out of memory', () => {
  it('a full Redis (noeviction) answers 503 WM_ERR_REDIS_FULL, reads still work, and recovers', async () => {
    const redis = await redisWith(['--maxmemory-policy', 'noeviction']);
    const api = await buildTestApi(redis.url);
    try {
      const post = () =>
        api.app.inject({
          method: 'POST',
          url: '/api/work',
          payload: { type: 'permute', data: 'abc' },
        });
      const first = await post();
      assert.equal(first.statusCode, 202);
      const id = first.json<{ callback: string }>().callback;
      await redis.client.set('ballast', 'x'.repeat(4 * 1024 * 1024));
      await redis.client.config('SET', 'maxmemory', '1mb');
      const keys = await redis.client.dbsize();
      const full = await post();
      assert.equal(full.statusCode, 503, full.body);
      assert.equal(
        full.json<{ error: { code: string; retryable: boolean } }>().error.code,
        'WM_ERR_REDIS_FULL',
      );
      assert.equal(await redis.client.dbsize(), keys);
      assert.equal(
        (await api.app.inject({ method: 'GET', url: `/api/status/${id}` })).statusCode,
        200,
      );
      await redis.client.config('SET', 'maxmemory', '0');
      assert.equal((await post()).statusCode, 202);
    } finally {
      await api.close();
    }
  });
});
