import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis, ReplyError } from 'ioredis';
import { WorkmeshError } from '../src/errors/index.js';
import {
  freePort,
  isRedisUnavailable,
  redisErrorOf,
  startRedisServer,
  type RedisServerHandle,
} from '../src/redis/index.js';

/** The errors a failover or an outage produces, got from real servers where one can be. */
const dir = mkdtempSync(join(tmpdir(), 'workmesh-errors-'));
const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];
after(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function server(name: string, args: string[] = []): Promise<Redis> {
  const s = await startRedisServer({ dir: join(dir, name), extraArgs: args });
  servers.push(s);
  const c = new Redis(s.port, '127.0.0.1', { maxRetriesPerRequest: null });
  clients.push(c);
  return c;
}

/** ioredis's ReplyError (typed any there), with a server's reply text. */
function replyError(text: string): Error {
  return new (ReplyError as new (message: string) => Error)(text);
}

function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail('expected the call to fail'),
    (err: Error) => err,
  );
}

function assertUnavailable(err: Error): void {
  assert.ok(isRedisUnavailable(err), `${err.name}: ${err.message} should count as unavailable`);
  const wm = redisErrorOf(err);
  assert.equal(wm?.code, 'WM_ERR_REDIS_UNAVAILABLE');
  assert.equal(wm.status, 503);
  assert.equal(wm.retryable, true);
}

describe('Redis errors of a failover or an outage', () => {
  it('READONLY: a write reaching a replica (a master demoted by Sentinel)', async () => {
    const master = await server('m');
    const replica = await server('r', ['--replicaof', '127.0.0.1', String(master.options.port)]);
    assertUnavailable(await rejection(replica.set('k', 'v')));
  });

  it('MASTERDOWN: a replica cut off from its master, with replica-serve-stale-data no', async () => {
    const dead = await freePort();
    const replica = await server('stale', [
      '--replicaof',
      '127.0.0.1',
      String(dead),
      '--replica-serve-stale-data',
      'no',
    ]);
    assertUnavailable(await rejection(replica.get('k')));
  });

  it('CLUSTERDOWN: a cluster node that serves no slot; MOVED and ASK', async () => {
    const node = await server('c', [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'c.conf'),
    ]);
    assertUnavailable(await rejection(node.get('k'))); // CLUSTERDOWN Hash slot not served
    // MOVED needs a second node; its reply text is the server's own:
    assertUnavailable(replyError('MOVED 7629 127.0.0.1:7001'));
    assertUnavailable(replyError('ASK 7629 127.0.0.1:7001'));
  });

  it("ioredis's own: Connection is closed, MaxRetriesPerRequestError, refused connections", async () => {
    const closed = await server('closed');
    closed.disconnect();
    assertUnavailable(await rejection(closed.get('k')));
    const nowhere = new Redis(await freePort(), '127.0.0.1', {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 10,
    });
    clients.push(nowhere);
    nowhere.on('error', () => undefined);
    const err = await rejection(nowhere.get('k'));
    assert.equal(err.name, 'MaxRetriesPerRequestError');
    assertUnavailable(err);
    nowhere.disconnect();
  });

  it('the replies no single server can be made to give here, by their text', () => {
    for (const text of [
      'LOADING Redis is loading the dataset in memory',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'CLUSTERDOWN The cluster is down',
      'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
      'NOREPLICAS Not enough good replicas to write.',
      'BUSY Redis is busy running a script.',
    ])
      assertUnavailable(replyError(text));
    assertUnavailable(
      new Error('Too many Cluster redirections. Last error: Connection is closed.'),
    );
    assertUnavailable(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    );
  });

  it('anything else is not: a bad command, a wrong type, a bug; OOM is WM_ERR_REDIS_FULL', async () => {
    const c = await server('other');
    await c.set('s', 'v');
    for (const err of [
      await rejection(c.call('NOSUCHCOMMAND')),
      await rejection(c.lpush('s', 'x')),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      new WorkmeshError('WM_ERR_JOB_NOT_FOUND', 'no such job'),
    ]) {
      assert.equal(isRedisUnavailable(err), false, err.message);
      assert.equal(redisErrorOf(err), undefined, err.message);
    }
    const oom = replyError("OOM command not allowed when used memory > 'maxmemory'.");
    assert.equal(redisErrorOf(oom)?.code, 'WM_ERR_REDIS_FULL');
  });
});
