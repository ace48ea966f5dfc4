import { existsSync, readFileSync } from 'node:fs';

/** A line of the controls fixtures' execution log (test/fixtures/controls.ts). */
export interface Logged {
  readonly kind: 'start' | 'end';
  readonly id: string;
  readonly at: number;
  readonly pid: number;
  readonly attempt: number;
  readonly tag: string;
}

export function readLog(file: string): Logged[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [kind, id, at, pid, attempt, tag] = l.split(' ');
      return {
        kind: kind as 'start' | 'end',
        id: id!,
        at: Number(at),
        pid: Number(pid ?? 0),
        attempt: Number(attempt ?? 0),
        tag: tag ?? '',
      };
    });
}

export const starts = (file: string): Logged[] => readLog(file).filter((l) => l.kind === 'start');

/** Most starts in any window of windowMs (sliding: each start opens a window). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/** Most jobs running at once according to the log's start and end lines (of ids, if given). */
export function maxRunning(file: string, ids?: ReadonlySet<string>): number {
  const events = readLog(file)
    .filter((l) => ids === undefined || ids.has(l.id))
    .map((l) => ({ at: l.at, d: l.kind === 'start' ? 1 : -1 }))
    // At the same ms an end comes before a start: the slot was freed first.
    .sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}
