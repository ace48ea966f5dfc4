import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The package build, the same on every OS (no `rm -rf` or `cp -r` in package.json): a clean
// dist/, the sources compiled with their declarations and source maps (which point into src/,
// shipped in the package so that they resolve), and the files tsc does not copy: the Lua
// scripts and the console's assets.
process.chdir(fileURLToPath(new URL('../', import.meta.url)));
rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const dir of ['redis/lua', 'console/assets']) {
  cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
