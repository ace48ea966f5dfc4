import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

/**
 * A fresh folder under the system temp dir (`workmesh-<name>-XXXXXX`), removed when the test
 * ends (with t) or else after the suite or file it is made in (after(): call it at the top of
 * a file or inside a describe). Removed even when the test failed: a failure is read from the
 * test's output, not from the files (a test that needs to keep them copies them first).
 */
export function tempDir(name: string, t?: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `workmesh-${name}-`));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  if (t) t.after(remove);
  else {
    after(remove);
    // Again as the file's process exits: a process the file started may still have been
    // writing into it when after() ran.
    process.once('exit', remove);
  }
  return dir;
}
