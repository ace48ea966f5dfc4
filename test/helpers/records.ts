import { existsSync, readFileSync } from 'node:fs';

export interface Execution {
  readonly id: string;
  readonly pid: number;
  readonly attempt: number;
}

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** The executions the fixture jobs appended to their file ("<id> <pid> <attempt>"). */
export function readExecutions(file: string, id?: string): Execution[] {
  return lines(file)
    .filter((l) => !l.startsWith('aborted '))
    .map((l) => {
      const [jobId, pid, attempt] = l.split(' ');
      return { id: jobId!, pid: Number(pid), attempt: Number(attempt) };
    })
    .filter((e) => id === undefined || e.id === id);
}

/** The ids whose AbortSignal fired while they ran. */
export function readAborted(file: string): string[] {
  return lines(file)
    .filter((l) => l.startsWith('aborted '))
    .map((l) => l.slice('aborted '.length));
}
