import { readFileSync, existsSync } from 'node:fs';

export interface Execution {
  readonly id: string;
  readonly pid: number;
  readonly attempt: number;
}

/** The executions the `record` fixture job appended to its file. */
export function readExecutions(file: string): Execution[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [id, pid, attempt] = l.split(' ');
      return { id: id!, pid: Number(pid), attempt: Number(attempt) };
    });
}
