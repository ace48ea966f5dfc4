import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ROUTE_SCOPES } from '../src/api/route-scopes.js';
import { createLogger } from '../src/log/index.js';
import { JOB_FIELDS, Producer, StreamConsumer } from '../src/queue/index.js';
import { KEY_DOCS, Keys, SCRIPT_NAMES, scriptSources } from '../src/redis/index.js';
import { currentText, regenerated, sections } from '../scripts/docs-sections.js';
import { ROOT } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

let redis: TestRedis;
before(async () => (redis = await startTestRedis()));
after(async () => redis.stop());

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  return new RegExp(
    `^${escaped
      .replace('<prefix>', '[A-Za-z0-9_-]+')
      .replace('<queue>', '[a-z][a-z0-9_-]*')
      .replace('<type>', '[a-z][a-z0-9_-]*')
      .replace('<digest>', '[A-Za-z0-9_-]{22}')
      .replace('<block>', '[0-9]+')
      .replace('<group>', '[A-Za-z0-9_.:@-]{1,64}')
      .replace('<bucket>', '[ta]:[^{}]+')
      .replace('<schedule>', '[A-Za-z0-9][A-Za-z0-9_.:-]*')
      .replace('<id>', '[a-z][a-z0-9_-]*\\.[A-Za-z0-9_-]{16}')}$`,
  );
}

describe('docs match the code', () => {
  it("docs/security.md's scope table names every route with its scope", () => {
    const doc = readFileSync(`${ROOT}docs/security.md`, 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `(\w+)` +\|(.*)\|$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    for (const [route, scope] of Object.entries(ROUTE_SCOPES)) {
      if (scope === 'public') continue;
      const [method, path] = route.split(' ') as [string, string];
      const shown = `${method} ${path.replace(/:(\w+)/g, '<$1>')}`;
      const row = rows.get(scope) ?? '';
      assert.ok(
        row.includes(`\`${shown}\``) || (method === 'GET' && row.includes(`\`${path}\``)),
        `${shown} in the ${scope} row`,
      );
    }
  });

  it('the generated sections are up to date (run npm run docs:gen)', async () => {
    for (const [file, parts] of Object.entries(sections())) {
      const path = `${ROOT}${file}`;
      assert.equal(await regenerated(path, parts), currentText(path), `${file} is stale`);
    }
  });

  it('every Lua script is documented, with a header naming KEYS, ARGV and Returns', () => {
    const protocol = readFileSync(`${ROOT}docs/protocol.md`, 'utf8');
    assert.deepEqual([...scriptSources().keys()].sort(), [...SCRIPT_NAMES].sort());
    for (const name of SCRIPT_NAMES) {
      const source = scriptSources().get(name)!;
      for (const part of ['KEYS[', 'ARGV[', 'Returns'])
        assert.ok(source.includes(part), `${name}: ${part}`);
      assert.ok(protocol.includes(`### \`${name}.lua\``), name);
    }
  });

  it('every field a script writes is a documented job field', () => {
    const documented = new Set(Object.keys(JOB_FIELDS));
    for (const [name, source] of scriptSources()) {
      // Nested calls (a value computed by XADD) are one argument: fold them first.
      const flat = source.replace(/redis\.call\([^()]*\)/g, (m) =>
        m.startsWith("redis.call('HSET'") ? m : 'value',
      );
      for (const call of flat.matchAll(/'HSET', KEYS\[(?:i|5)\], ([^)]*)\)/g)) {
        // HSET key f1 v1 f2 v2 ...: the even arguments are field names, all literal.
        const args = call[1]!.split(',').map((a) => a.trim());
        for (const field of args.filter((_, i) => i % 2 === 0)) {
          assert.match(field, /^'[a-zA-Z]+'$/, `${name}.lua: field name ${field} is not a literal`);
          assert.ok(
            documented.has(field.slice(1, -1)),
            `${name}.lua writes undocumented field ${field}`,
          );
        }
      }
    }
  });

  it('the keys and fields a real job leaves in Redis are exactly the documented ones', async () => {
    const keys = new Keys('wm');
    for (const k of KEY_DOCS) assert.match(k.example(keys), patternToRegExp(k.pattern));

    const log = createLogger('silent');
    const conn = redis.client.duplicate();
    const blocking = redis.client.duplicate();
    const producer = new Producer(conn, keys, 'api-docs');
    const { id } = await producer.enqueue({
      queue: 'permute',
      data: 'abc',
      resultTtlSec: 60,
      maxAttempts: 1,
    });
    const consumer = new StreamConsumer(conn, blocking, keys, 'permute', 'worker-docs', {
      deadTtlSec: 60,
      maxRecoveries: 2,
    });
    await consumer.ensureGroup();
    const [job] = await consumer.claimOrWait(10, 100);
    assert.equal(job?.id, id);
    assert.equal(await consumer.finish(job, { kind: 'done', json: '"cab"' }), 'done');
    log.flush();

    const patterns = KEY_DOCS.map((k) => patternToRegExp(k.pattern));
    const [, found] = await redis.client.scan('0', 'COUNT', 1000);
    assert.ok(found.length >= 3);
    for (const key of found)
      assert.ok(
        patterns.some((p) => p.test(key)),
        `undocumented key ${key}`,
      );
    const fields = Object.keys(await redis.client.hgetall(keys.job(id)));
    for (const f of fields) assert.ok(f in JOB_FIELDS, `undocumented field ${f}`);
    conn.disconnect();
    blocking.disconnect();
  });
});
