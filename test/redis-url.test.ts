import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { isWorkmeshError } from '../src/errors/index.js';
import { parseRedisUrl, redactRedisUrl } from '../src/redis/index.js';

describe('REDIS_URL forms', () => {
  it('a Cluster seed list, as docs/configuration.md shows it, passes the config', () => {
    const url = 'redis+cluster://127.0.0.1:17001,127.0.0.1:17003';
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
    assert.deepEqual(parseRedisUrl('rediss+cluster://u:p%40ss@[::1]:7000,h2/'), {
      kind: 'cluster',
      seeds: [
        { host: '::1', port: 7000 },
        { host: 'h2', port: 6379 },
      ],
      username: 'u',
      password: 'p@ss',
      tls: true,
    });
  });

  it('Sentinel: the sentinels, the master name, a db, the passwords of Redis and of the sentinels, TLS', () => {
    const url =
      'rediss+sentinel://wm:redis%2Fpw@10.0.0.1:26379,10.0.0.2,[::1]:26380/my-master/2?sentinelUsername=s&sentinelPassword=s%26pw';
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
    assert.deepEqual(parseRedisUrl(url), {
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'my-master',
      db: 2,
      username: 'wm',
      password: 'redis/pw',
      sentinelUsername: 's',
      sentinelPassword: 's&pw',
      tls: true,
    });
    assert.deepEqual(parseRedisUrl('redis+sentinel://h:26379/m'), {
      kind: 'sentinel',
      sentinels: [{ host: 'h', port: 26379 }],
      masterName: 'm',
      db: 0,
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('redis://h:1/3'), { kind: 'single', url: 'redis://h:1/3' });
  });

  it('a refused REDIS_URL is named without its passwords', () => {
    const url = 'redis+sentinel://:secret-1@h:26379?sentinelPassword=secret-2';
    assert.throws(
      () => loadConfig({ REDIS_URL: url }),
      (err: unknown) =>
        isWorkmeshError(err, 'WM_ERR_CONFIG_INVALID') &&
        /master name is missing/.test(err.message) &&
        !err.message.includes('secret'),
    );
    assert.equal(
      redactRedisUrl('redis+sentinel://u:p@h/m?sentinelUsername=s&sentinelPassword=q'),
      'redis+sentinel://***@h/m?sentinelUsername=s&sentinelPassword=***',
    );
  });
});
