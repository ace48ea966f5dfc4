import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, runScript, type RoleProcess } from './processes.js';

/**
 * An older commit of this repository, checked out into a temp folder and run as real processes
 * next to the working tree's (the upgrade test, issue 26 item 2). The tree comes from
 * `git archive <commit>`; its node_modules is a symlink to the current one when every package
 * the old runtime loads is installed there at the version the old package-lock.json names (or
 * one its dependent's caret range accepts), else a `npm ci --offline` from the npm cache
 * (`--prefer-offline` when the cache lacks a package). One tree per commit and test file
 * process, removed when the process exits.
 */

export interface OldVersion {
  /** The full commit id. */
  readonly commit: string;
  /** The tree's root (its package.json, src/, test/). */
  readonly root: string;
  /** How it got its node_modules. */
  readonly modules: 'linked' | 'installed';
  /** Why not linked (the first package that differs), when installed. */
  readonly reason?: string;
  /** When linked: the packages at another version that their dependents' range accepts. */
  readonly accepted?: readonly string[];
  /** Time it took to materialize (archive, modules), ms. */
  readonly tookMs: number;
}

/**
 * Why the commit cannot be run here (not a git checkout, a shallow clone without it, ...), or
 * undefined when it can: a test skips with this reason, never fails on it.
 */
export function unavailable(commit: string): string | undefined {
  if (!/^[0-9a-f]{4,40}$/.test(commit)) return `"${commit}" is not a commit id`;
  const git = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${commit}^{commit}`], {
    stdio: 'ignore',
  });
  if (git.error) return `git is not available (${git.error.message})`;
  if (git.status !== 0)
    return `commit ${commit} is not in this clone (a shallow clone, or not a git checkout): fetch it to run this test`;
  return undefined;
}

const trees = new Map<string, OldVersion>();
const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) {
    // The link first: the removal must never reach the current tree's node_modules.
    const link = join(dir, 'node_modules');
    try {
      unlinkSync(link);
    } catch {
      // An installed folder (or nothing): removed with the tree.
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The commit's tree, ready to run (cached per commit). `overlay` files (paths relative to the
 * repository root) are copied from the working tree over the old one: the application code both
 * versions run, such as a test's job module, which imports the old tree's workmesh.
 */
export function materialize(commit: string, overlay: readonly string[] = []): OldVersion {
  const reason = unavailable(commit);
  if (reason) throw new Error(reason);
  const full = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', `${commit}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  let tree = trees.get(full);
  if (!tree) {
    tree = build(full);
    trees.set(full, tree);
  }
  for (const file of overlay) {
    mkdirSync(dirname(join(tree.root, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(tree.root, file));
  }
  return tree;
}

function build(commit: string): OldVersion {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), `workmesh-old-${commit.slice(0, 7)}-`));
  made.push(root);
  const archive = spawnSync('git', ['-C', ROOT, 'archive', '--format=tar', commit], {
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive ${commit}: ${archive.stderr.toString()}`);
  const tar = spawnSync('tar', ['-x', '-C', root], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`tar -x: ${tar.stderr.toString()}`);

  const accepted: string[] = [];
  const forced = process.env.WORKMESH_TEST_OLD_INSTALL === 'ci';
  const differs = forced ? 'WORKMESH_TEST_OLD_INSTALL=ci' : modulesDiffer(root, accepted);
  if (differs === undefined) {
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    return { commit, root, modules: 'linked', accepted, tookMs: performance.now() - started };
  }
  // Only what `workmesh worker` and `workmesh api` load: the runtime dependencies (tsx among
  // them); no install scripts (esbuild's binary comes as an optional package). From the npm
  // cache; what it lacks (a CI cache filled by the current lock only) from the registry.
  const install = (mode: string) =>
    spawnSync('npm', ['ci', mode, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: root,
      encoding: 'utf8',
    });
  let npm = install('--offline');
  if (npm.status !== 0) npm = install('--prefer-offline');
  if (npm.status !== 0)
    throw new Error(`npm ci in ${root} (${differs}):\n${npm.stdout}${npm.stderr}`);
  return {
    commit,
    root,
    modules: 'installed',
    reason: differs,
    tookMs: performance.now() - started,
  };
}

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}

/** Whether npm installs the package on this machine (its `os` and `cpu` fields). */
function forHere(entry: LockEntry): boolean {
  const fits = (list: readonly string[] | undefined, here: string) =>
    list === undefined ||
    (!list.includes(`!${here}`) && (list.every((x) => x.startsWith('!')) || list.includes(here)));
  return fits(entry.os, process.platform) && fits(entry.cpu, process.arch);
}

/**
 * The first package of the old runtime (its package.json `dependencies` and theirs, resolved as
 * its package-lock.json places them) that the current node_modules resolves to another version
 * or lacks; undefined when none does (a symlink to it then runs the old code as its own install
 * would). Another version is accepted when the range the dependent asks for is a plain caret
 * one that holds it (`^1.4.0` and 1.9.1: an install of the old package.json could have chosen
 * it); noted in `accepted`. Dev dependencies are left out: the old tree is only run, never
 * built or linted.
 */
function modulesDiffer(oldRoot: string, accepted: string[]): string | undefined {
  const lockFile = join(oldRoot, 'package-lock.json');
  if (!existsSync(lockFile)) return 'the old tree has no package-lock.json';
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    packages?: Record<string, LockEntry>;
  };
  const packages = lock.packages;
  if (!packages) return 'the old package-lock.json has no "packages" (lockfile v1)';
  const oldPkg = JSON.parse(readFileSync(join(oldRoot, 'package.json'), 'utf8')) as LockEntry;

  /** Node's lookup: <from>/node_modules/<name>, then each folder up. */
  const resolve = (from: string, name: string, has: (path: string) => boolean) => {
    let dir = from;
    for (;;) {
      const path = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
      if (has(path)) return path;
      if (dir === '') return undefined;
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  const inOld = (path: string) => packages[path] !== undefined;
  const inNew = (path: string) => existsSync(join(ROOT, path, 'package.json'));
  const versionNow = (path: string) =>
    (JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as { version: string })
      .version;

  const seen = new Set<string>();
  const walk = (entry: LockEntry, oldAt: string, newAt: string): string | undefined => {
    const deps = {
      ...entry.peerDependencies,
      ...entry.optionalDependencies,
      ...entry.dependencies,
    };
    for (const [name, range] of Object.entries(deps)) {
      const oldPath = resolve(oldAt, name, inOld);
      // An optional one the lock does not hold, or one for another platform (fsevents).
      if (oldPath === undefined || !forHere(packages[oldPath]!)) continue;
      const newPath = resolve(newAt, name, inNew);
      const wanted = packages[oldPath]!.version;
      if (newPath === undefined) return `${name}@${wanted} is not installed`;
      const have = versionNow(newPath);
      if (have !== wanted) {
        if (!caretAccepts(range, have)) return `${name}@${wanted} is installed at ${have}`;
        accepted.push(`${name} ${wanted} -> ${have} (${range})`);
      }
      const key = `${oldPath}|${newPath}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const deeper = walk(packages[oldPath]!, oldPath, newPath);
      if (deeper) return deeper;
    }
    return undefined;
  };
  return walk({ dependencies: oldPkg.dependencies ?? {} }, '', '');
}

/** A role of the old version (`worker`, `api --port 0`, ...) on its own CLI, tracked as runCli's. */
export function runOldCli(
  old: OldVersion,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): RoleProcess {
  return runScript(join(old.root, 'src/cli/main.ts'), args, env, 'ignore', [], old.root);
}

export function startOldWorker(
  old: OldVersion,
  redisUrl: string,
  env: Record<string, string> = {},
): RoleProcess {
  return runOldCli(old, ['worker'], { REDIS_URL: redisUrl, ...env });
}

export function startOldApi(
  old: OldVersion,
  redisUrl: string,
  env: Record<string, string> = {},
): RoleProcess {
  return runOldCli(old, ['api', '--port', '0'], { REDIS_URL: redisUrl, ...env });
}

/**
 * Whether version satisfies range, for the two forms package.json files here use: an exact
 * version, and `^x.y.z` (same major, or same minor under 1.0; not lower). Anything else
 * (prereleases, other operators) answers false: the caller then installs, never guesses.
 */
function caretAccepts(range: string, version: string): boolean {
  if (range === version) return true;
  const r = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!r || !v) return false;
  const [rMajor, rMinor, rPatch] = r.slice(1).map(Number) as [number, number, number];
  const [vMajor, vMinor, vPatch] = v.slice(1).map(Number) as [number, number, number];
  if (vMajor !== rMajor) return false;
  if (rMajor === 0) return vMinor === rMinor && vPatch >= rPatch;
  return vMinor > rMinor || (vMinor === rMinor && vPatch >= rPatch);
}
