import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ROOT } from './helpers/processes.js';

/**
 * The client as other runtimes and bundlers see it: its entry bundles for the browser with no
 * Node built-in and none of the server's dependencies, and its types reject what the job
 * definitions do not allow (checked by tsc on a fixture with @ts-expect-error lines).
 */

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the client entry (workmesh/client)', () => {
  it('bundles for the browser without node: built-ins, fastify, ioredis, pino or TypeBox', async () => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/client/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const server = inputs.filter((path) =>
      /^node:|(^|\/)node_modules\/(fastify|@fastify|ioredis|pino|@sinclair|prom-client)\//.test(
        path,
      ),
    );
    assert.deepEqual(server, []);
    // What a bundle of the client is made of: the client, the error catalogue, the statuses
    // and the SSE parser.
    assert.ok(inputs.some((p) => p.includes('node_modules/eventsource-parser/')));
    assert.ok(inputs.includes('src/client/client.ts'));
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
    assert.deepEqual(imports, [], 'the bundle imports nothing from outside');
  });

  it('is what the package exports as workmesh/client', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    assert.deepEqual(pkg.exports['./client'], {
      types: './dist/client/index.d.ts',
      default: './dist/client/index.js',
    });
  });

  it('is typed by the job definitions: a wrong type name or data shape does not compile', async () => {
    // Exit 0 also means every @ts-expect-error line is still an error (else TS2578).
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [tsc, '-p', 'test/fixtures/typed-client/tsconfig.json'],
      { cwd: ROOT },
    ).catch((err: { stdout: string }) => assert.fail(`tsc failed:\n${err.stdout}`));
    assert.equal(stdout, '');
  });
});
