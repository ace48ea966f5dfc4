import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from '../src/cli/command.js';
import {
  configToEnv,
  loadConfig,
  options,
  type Config,
  type SettingKey,
} from '../src/config/index.js';
import { isWorkmeshError } from '../src/errors/index.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.apiPort, 5983);
    assert.equal(c.consolePort, 5984);
    assert.equal(c.permuteDelayMs, 3000);
    assert.equal(c.workers, 2);
    assert.equal(c.resultTtlSec, 3600);
    assert.ok(Object.isFrozen(c));
  });

  it('reads the environment, and flags win over it', () => {
    const c = loadConfig(
      { WORKMESH_API_PORT: '6000', WORKMESH_CONCURRENCY: '4', WORKMESH_TYPES: 'a, b,,' },
      { port: '7000' },
    );
    assert.equal(c.apiPort, 7000);
    assert.equal(c.concurrency, 4);
    assert.deepEqual(c.types, ['a', 'b']);
  });

  for (const [env, value, why] of [
    ['WORKMESH_API_PORT', 'abc', /whole number/],
    ['WORKMESH_API_PORT', '70000', /at most 65535/],
    ['WORKMESH_CONCURRENCY', '0', /at least 1/],
    ['REDIS_URL', 'http://x', /scheme must be redis: or rediss:/],
    ['REDIS_URL', 'not a url', /not a URL/],
    ['REDIS_URL', 'redis://h1:1,h2:2', /needs redis\+cluster:\/\/ or redis\+sentinel:\/\//],
    ['REDIS_URL', 'redis+cluster://h1:1,h2:x', /bad node "h2:x"/],
    ['REDIS_URL', 'redis+sentinel://h1:26379,h2:26379', /master name is missing/],
    ['REDIS_URL', 'redis+sentinel://h1/m/x', /must be a db number/],
    ['REDIS_URL', 'redis+sentinel://h1/m?sentinelPasword=x', /unknown parameter sentinelPasword/],
    ['WORKMESH_LOG_LEVEL', 'loud', /one of/],
    ['WORKMESH_PREFIX', 'a b', /must match/],
  ] as const) {
    it(`rejects ${env}=${value} naming the setting`, () => {
      assert.throws(
        () => loadConfig({ [env]: value }),
        (err: unknown) =>
          isWorkmeshError(err, 'WM_ERR_CONFIG_INVALID') &&
          err.message.startsWith(env) &&
          why.test(err.message),
      );
    });
  }

  it('round-trips through the environment of a child process', () => {
    const c = loadConfig({
      REDIS_URL: 'redis://h:1',
      WORKMESH_TYPES: 'x,y',
      WORKMESH_WORKERS: '5',
    });
    assert.deepEqual(loadConfig(configToEnv(c)), c);
  });

  it('gives every option an env var, a flag and a doc line', () => {
    const envs = new Set(options.map((o) => o.env));
    const flags = new Set(options.map((o) => o.flag));
    assert.equal(envs.size, options.length);
    assert.equal(flags.size, options.length);
    for (const o of options) assert.ok(o.doc.length > 10, o.key);
  });

  // The Config type and each command's list of settings are derived from the settings table
  // (issue 18, item 5): checked by `npm run typecheck`, which type-checks the tests. A
  // ts-expect-error directive that finds no error is itself a compile error.
  it("types Config and the commands' settings by the settings table", () => {
    type Equal<A, B> =
      (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
    const checks: [
      Equal<Config['apiPort'], number>,
      Equal<Config['metricsPort'], number | undefined>,
      Equal<Config['insecure'], boolean>,
      Equal<Config['types'], readonly string[]>,
      Equal<Config['clusterSecret'], string | undefined>,
      Equal<Config['apiUrl'], string>,
      Equal<Config['logLevel'], 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>,
      Equal<keyof Config, SettingKey>,
    ] = [true, true, true, true, true, true, true, true];
    assert.ok(checks.every(Boolean));

    // @ts-expect-error: no such setting (the table has concurrency)
    const misspelt: SettingKey = 'concurency';
    const command: Pick<Command, 'settings'> = {
      // @ts-expect-error: a misspelt setting in a command's list does not compile
      settings: ['redisUrl', 'prefx'],
    };
    // @ts-expect-error: a setting read off the config must be in the table
    const absent: unknown = loadConfig({}).apiPorts;
    assert.deepEqual(
      [misspelt, command.settings, absent],
      ['concurency', ['redisUrl', 'prefx'], undefined],
    );
    assert.deepEqual(
      new Set(Object.keys(loadConfig({}))),
      new Set(options.map((o) => o.key)),
      "the config object has exactly the table's keys",
    );
  });
});
