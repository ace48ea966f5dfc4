import { WorkmeshError } from '../errors/index.js';
import { JOB_ID_RE, queueOfJobId } from '../redis/index.js';

/**
 * A callback id from outside (a request, a library call), checked before any key is built
 * from it; and its queue.
 */
export function checkedId(id: string): { id: string; queue: string } {
  const queue = typeof id === 'string' && JOB_ID_RE.test(id) ? queueOfJobId(id) : undefined;
  if (queue === undefined) {
    throw new WorkmeshError(
      'WM_ERR_API_BAD_ID',
      `malformed callback id ${JSON.stringify(String(id).slice(0, 80))}`,
    );
  }
  return { id, queue };
}
