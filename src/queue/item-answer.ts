import { WorkmeshError } from '../errors/index.js';

const ITEM_REFUSED = 'WM_ERR_JOB_ITEM_REFUSED ';

/**
 * One item's answer in a batch script's reply (lua/lib/batch.lua): its value mapped by `map`,
 * or, when Redis refused that item alone, the error for that item's caller. The batch-mates'
 * answers are unaffected.
 */
export function itemAnswer<R>(answer: unknown, map: (value: number) => R): R | Error {
  if (!(answer instanceof Error)) return map(answer as number);
  const message = answer.message;
  return message.startsWith(ITEM_REFUSED)
    ? new WorkmeshError('WM_ERR_JOB_ITEM_REFUSED', message.slice(ITEM_REFUSED.length))
    : answer;
}
