import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { ClusterNode } from '../src/cluster/index.js';
import { loadConfig } from '../src/config/index.js';
import { buildConsole, checkListenAllowed } from '../src/console/index.js';
import { isWorkmeshError } from '../src/errors/index.js';
import { createRegistry } from '../src/jobs/index.js';
import { createLogger } from '../src/log/index.js';
import { Monitor } from '../src/monitor/index.js';
import { Producer, StreamConsumer } from '../src/queue/index.js';
import { Keys, queueOfJobId } from '../src/redis/index.js';
import { buildTestApi } from './helpers/api.js';
import { FAST_CLUSTER, startTestNode } from './helpers/cluster.js';
import { ROOT, runCli, runCliToEnd, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

let redis: TestRedis;
let node: ClusterNode;
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  redis = await startTestRedis();
  node = await startTestNode(redis.url);
});
after(async () => {
  await stopAll();
  for (const close of closers.reverse()) await close();
  await node.stop();
  await redis.stop();
});

/** A console in this process (app.inject), with its own monitor, on the test Redis. */
async function consoleApp(
  env: Record<string, string> = {},
  jobModules: readonly string[] = [],
): Promise<FastifyInstance> {
  const config = loadConfig({ REDIS_URL: redis.url, ...FAST_CLUSTER, ...env });
  const log = createLogger('silent');
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
  const keys = new Keys(config.prefix);
  const registry = await createRegistry(config, jobModules);
  const monitor = new Monitor({
    redis: conn,
    subscriber,
    keys,
    nodeId: node.id,
    node,
    queueNames: registry.list().map((d) => d.name),
    intervalMs: 200,
    log,
  });
  await monitor.start();
  const app = buildConsole(
    {
      config,
      monitor,
      node,
      redis: conn,
      keys,
      producer: new Producer(conn, keys, node.id),
      registry,
      redisTimeoutMs: 2000,
    },
    log,
  );
  closers.push(async () => {
    await app.close();
    await monitor.stop();
    conn.disconnect();
  });
  return app;
}

describe('console: listening beyond loopback', () => {
  it('needs a token (the console token or an admin API token) and a cluster secret', () => {
    const config = (env: Record<string, string>) =>
      loadConfig({ WORKMESH_CLUSTER_SECRET: 'cluster-secret-0123456789', ...env });
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      assert.throws(
        () => checkListenAllowed(config({ WORKMESH_HOST: host })),
        (err) => isWorkmeshError(err, 'WM_ERR_CONSOLE_NO_TOKEN'),
      );
      assert.doesNotThrow(() =>
        checkListenAllowed(config({ WORKMESH_HOST: host, WORKMESH_CONSOLE_TOKEN: 'a-token' })),
      );
      assert.doesNotThrow(() =>
        checkListenAllowed(
          config({ WORKMESH_HOST: host, WORKMESH_API_TOKENS: `ops:admin:${'a'.repeat(32)}` }),
        ),
      );
      assert.throws(
        () =>
          checkListenAllowed(
            loadConfig({ WORKMESH_HOST: host, WORKMESH_CONSOLE_TOKEN: 'a-token' }),
          ),
        (err) => isWorkmeshError(err, 'WM_ERR_CONFIG_INSECURE'),
      );
    }
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      assert.doesNotThrow(() => checkListenAllowed(loadConfig({ WORKMESH_HOST: host })));
  });

  it('sysmon refuses to start with a clear error, before it joins the cluster', async () => {
    const result = await runCliToEnd(['sysmon', '--host', '0.0.0.0', '--console-port', '0'], {
      ...FAST_CLUSTER,
      REDIS_URL: redis.url,
      WORKMESH_CONSOLE_TOKEN: '',
      WORKMESH_LOG_LEVEL: 'info',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /without a token.*\[WM_ERR_CONSOLE_NO_TOKEN\]/);
    assert.doesNotMatch(result.stderr, /joined the cluster/);
  });
});

describe('console: the types of ports', () => {
  it("sysmon's Submit form offers the types bound to ports", async () => {
    const sysmon = runCli(['sysmon', '--headless', '--console-port', '0'], {
      ...FAST_CLUSTER,
      REDIS_URL: redis.url,
      WORKMESH_PORTS: `${ROOT}examples/ports/ports.json`,
    });
    const { url } = await sysmon.ready;
    const res = await fetch(`${url}/console/api/types`);
    const names = ((await res.json()) as { types: { name: string }[] }).types.map((t) => t.name);
    assert.ok(names.includes('csv-summary'), names.join(','));
    assert.ok(names.includes('extract-links'), names.join(','));
    sysmon.child.kill('SIGTERM');
    assert.equal(await sysmon.exited, 0);
  });
});

describe('console: login and sessions', () => {
  const TOKEN = 'correct-horse-battery-staple';
  let app: FastifyInstance;
  before(async () => (app = await consoleApp({ WORKMESH_CONSOLE_TOKEN: TOKEN })));

  it('the login also takes an API token with the admin scope, and no other', async () => {
    const admin = 'ops-admin-token-0123456789abcdef';
    const reader = 'app-read-token-0123456789abcdefgh';
    const viaApi = await consoleApp({
      WORKMESH_API_TOKENS: `ops:admin:${admin},app:submit+read:${reader}`,
    });
    const snapshot = (token: string) =>
      viaApi.inject({
        method: 'GET',
        url: '/console/api/snapshot',
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await snapshot(admin)).statusCode, 200);
    assert.equal((await snapshot(reader)).statusCode, 401);
    const login = await viaApi.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(admin)}`,
    });
    assert.equal(login.statusCode, 303);
    assert.match(String(login.headers['set-cookie']), /wm_console=\d+\./);
  });

  it('without a session: pages redirect to the login page, data answers 401 and no data', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 302);
    assert.equal(page.headers.location, '/login');
    for (const url of ['/console/api/snapshot', '/console/api/stream', '/console/api/dead']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(
        res.json<{ error: { code: string } }>().error.code,
        'WM_ERR_CONSOLE_UNAUTHORIZED',
      );
      assert.doesNotMatch(res.body, /nodes|queues/);
    }
    const action = await app.inject({
      method: 'POST',
      url: '/console/api/work',
      payload: { type: 'permute', data: 'x' },
    });
    assert.equal(action.statusCode, 401);
    const login = await app.inject({ method: 'GET', url: '/login' });
    assert.equal(login.statusCode, 200);
    assert.match(login.body, /<form class="login" method="post" action="\/login">/);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/style.css' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode, 302);
  });

  it('a wrong token gets no cookie; the right one an HttpOnly SameSite=Strict session', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=nope',
    });
    assert.equal(wrong.statusCode, 303);
    assert.equal(wrong.headers.location, '/login?failed=1');
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.match((await app.inject({ method: 'GET', url: '/login?failed=1' })).body, /Wrong token/);

    const right = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}`,
    });
    assert.equal(right.statusCode, 303);
    assert.equal(right.headers.location, '/');
    const cookie = String(right.headers['set-cookie']);
    assert.match(
      cookie,
      /^wm_console=\d+\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const session = cookie.split(';')[0]!;

    const snapshot = await app.inject({
      method: 'GET',
      url: '/console/api/snapshot',
      headers: { cookie: session },
    });
    assert.equal(snapshot.statusCode, 200);
    assert.ok(snapshot.json<{ nodes: unknown[] }>().nodes.length >= 1);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/', headers: { cookie: session } })).statusCode,
      200,
    );

    // A session whose expiry was pushed forward no longer matches its signature.
    const [expiry, mac] = session.slice('wm_console='.length).split('.');
    const forged = `wm_console=${Number(expiry) + 1000}.${mac}`;
    const refused = await app.inject({
      method: 'GET',
      url: '/console/api/snapshot',
      headers: { cookie: forged },
    });
    assert.equal(refused.statusCode, 401);

    const logout = await app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: session },
    });
    assert.match(String(logout.headers['set-cookie']), /^wm_console=; .*Max-Age=0/);
  });

  it('scripts may send the token as a bearer token', async () => {
    const ok = await app.inject({
      method: 'GET',
      url: '/console/api/snapshot',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(ok.statusCode, 200);
    const bad = await app.inject({
      method: 'GET',
      url: '/console/api/snapshot',
      headers: { authorization: 'Bearer wrong' },
    });
    assert.equal(bad.statusCode, 401);
  });

  it('guessing is limited: 20 wrong tokens a minute, then even the right one waits (429)', async () => {
    const fresh = await consoleApp({ WORKMESH_CONSOLE_TOKEN: TOKEN });
    const bearer = (t: string) =>
      fresh.inject({
        method: 'GET',
        url: '/console/api/snapshot',
        headers: { authorization: `Bearer ${t}` },
      });
    for (let i = 0; i < 20; i++) assert.equal((await bearer(`guess-${i}`)).statusCode, 401);
    const locked = await bearer(TOKEN);
    assert.equal(locked.statusCode, 429);
    assert.equal(locked.json<{ error: { code: string } }>().error.code, 'WM_ERR_API_RATE_LIMITED');
    assert.equal((await bearer('another-guess')).statusCode, 429);
    const login = await fresh.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${TOKEN}`,
    });
    assert.equal(login.statusCode, 429);
  });

  it('the page has a Log out button, and the login page names both kinds of token', async () => {
    const login = await app.inject({ method: 'GET', url: '/login' });
    assert.match(login.body, /WORKMESH_CONSOLE_TOKEN/);
    assert.match(login.body, /<code>admin<\/code> scope/);
    const page = await app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.match(page.body, /Log out/);
  });

  it('every answer carries the security headers', async () => {
    for (const url of ['/login', '/', '/console/api/snapshot']) {
      const res = await app.inject({ method: 'GET', url });
      assert.match(
        String(res.headers['content-security-policy']),
        /default-src 'none'; script-src 'self'/,
      );
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
    }
  });
});

describe('console: data and actions (loopback, no token)', () => {
  let app: FastifyInstance;
  before(async () => (app = await consoleApp()));

  it('an open console has no Log out button', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="live"/);
    assert.doesNotMatch(page.body, /Log out|\/logout/);
  });

  it('its scripts write no HTML: every value reaches the page as text or an attribute value', async () => {
    const index = (await app.inject({ method: 'GET', url: '/' })).body;
    const scripts = [...index.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(scripts, [
      '/assets/dom.js',
      '/assets/charts.js',
      '/assets/topology.js',
      '/assets/queues.js',
      '/assets/uPlot.iife.min.js',
      '/assets/history.js',
      '/assets/jobs.js',
      '/assets/app.js',
    ]);
    for (const url of scripts) {
      const script = await app.inject({ method: 'GET', url });
      assert.equal(script.statusCode, 200, url);
      // Pages are built with dom.js's h()/svg() (textContent, setAttribute) only; uPlot (the
      // history's charts, vendored) draws on canvas and writes its labels as text too.
      assert.doesNotMatch(
        script.body,
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/,
        url,
      );
    }
  });

  it('serves pages and data without a login on loopback', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/login' })).statusCode, 302);
    const s = (await app.inject({ method: 'GET', url: '/console/api/snapshot' })).json<{
      queues: { queue: string }[];
    }>();
    assert.ok(s.queues.some((q) => q.queue === 'permute'));
  });

  it('submits work, reads the job, refuses bad input', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/console/api/work',
      payload: { type: 'permute', data: 'abc' },
    });
    assert.equal(res.statusCode, 202);
    const { callback } = res.json<{ callback: string }>();
    const job = await app.inject({ method: 'GET', url: `/console/api/jobs/${callback}` });
    assert.equal(job.json<{ status: string }>().status, 'accepted');
    const bad = await app.inject({
      method: 'POST',
      url: '/console/api/work',
      payload: { type: 'text-stats', data: 42 },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/console/api/jobs/nope' })).statusCode,
      400,
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/console/api/dead/permute.AAAAAAAAAAAAAAAA/retry',
        })
      ).statusCode,
      404,
    );
  });

  it('submits a partitioned type to one of its partitions, where its workers read', async () => {
    const partitioned = await consoleApp({}, ['test/fixtures/partitioned.ts']);
    const res = await partitioned.inject({
      method: 'POST',
      url: '/console/api/work',
      payload: { type: 'spread', data: { file: '/dev/null' } },
    });
    assert.equal(res.statusCode, 202);
    const { callback } = res.json<{ callback: string }>();
    // Workers of a type split in 6 read only spread~0 .. spread~5: a job in "spread" is stranded.
    assert.match(queueOfJobId(callback) ?? '', /^spread~[0-5]$/, callback);
    const job = await partitioned.inject({ method: 'GET', url: `/console/api/jobs/${callback}` });
    assert.equal(job.json<{ type: string }>().type, 'spread');
  });

  it('lists, retries and purges dead letters', async () => {
    const keys = new Keys('wm');
    const conn = redis.client.duplicate();
    const blocking = redis.client.duplicate();
    try {
      const producer = new Producer(conn, keys, 'api-test');
      const ids = await Promise.all(
        ['a', 'b'].map(
          async (d) =>
            (
              await producer.enqueue({
                queue: 'hash',
                data: { text: d },
                resultTtlSec: 60,
                maxAttempts: 1,
              })
            ).id,
        ),
      );
      const consumer = new StreamConsumer(conn, blocking, keys, 'hash', 'w-test', {
        deadTtlSec: 60,
        maxRecoveries: 2,
      });
      await consumer.ensureGroup();
      for (const job of await consumer.claimOrWait(2, 100))
        await consumer.finish(job, { kind: 'fatal', error: 'broken on purpose' });
      const list = (await app.inject({ method: 'GET', url: '/console/api/dead?type=hash' })).json<{
        queues: { queue: string; total: number; jobs: { callback: string; error: string }[] }[];
      }>();
      assert.equal(list.queues[0]?.total, 2);
      assert.equal(list.queues[0]?.jobs[0]?.error, 'broken on purpose');
      const retried = await app.inject({
        method: 'POST',
        url: `/console/api/dead/${ids[0]}/retry`,
      });
      assert.equal(retried.statusCode, 200);
      const job = await app.inject({ method: 'GET', url: `/console/api/jobs/${ids[0]}` });
      assert.equal(job.json<{ status: string }>().status, 'accepted');
      const purged = await app.inject({ method: 'DELETE', url: `/console/api/dead/${ids[1]}` });
      assert.equal(purged.statusCode, 200);
      assert.equal(
        (await app.inject({ method: 'GET', url: `/console/api/jobs/${ids[1]}` })).statusCode,
        404,
      );
      const empty = (await app.inject({ method: 'GET', url: '/console/api/dead?type=hash' })).json<{
        queues: { total: number }[];
      }>();
      assert.equal(empty.queues[0]?.total, 0);
    } finally {
      conn.disconnect();
      blocking.disconnect();
    }
  });

  it('pings a node by its exact id only', async () => {
    const ping = await app.inject({ method: 'POST', url: `/console/api/nodes/${node.id}/ping` });
    assert.equal(ping.statusCode, 200);
    assert.equal(ping.json<{ result: { pong: boolean } }>().result.pong, true);
    const role = await app.inject({ method: 'POST', url: '/console/api/nodes/test/ping' });
    assert.equal(role.statusCode, 404);
    const unknown = await app.inject({
      method: 'POST',
      url: `/console/api/nodes/${node.id}/reboot`,
    });
    assert.equal(unknown.statusCode, 404);
  });
});

describe('GET /api/monitor', () => {
  it('answers the nodes and every queue with its counts', async () => {
    const api = await buildTestApi(redis.url);
    try {
      const res = await api.app.inject({ method: 'GET', url: '/api/monitor' });
      assert.equal(res.statusCode, 200);
      const body = res.json<{
        nodes: { id: string }[];
        queues: { queue: string; dead: number }[];
      }>();
      assert.ok(body.nodes.some((n) => n.id === node.id));
      const permute = body.queues.find((q) => q.queue === 'permute');
      assert.equal(permute?.dead, 0);
    } finally {
      await api.close();
    }
  });
});
