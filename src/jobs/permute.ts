import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { defineJob, type JobSettings } from './define.js';

/** Fisher-Yates over code points, so surrogate pairs stay whole. */
export function permuteString(input: string): string {
  const chars = Array.from(input);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** The seed's demo work: pause, then answer a random permutation of the input string. */
export const permute = (settings: JobSettings) =>
  defineJob({
    name: 'permute',
    description:
      'The seed demo: waits WORKMESH_PERMUTE_DELAY_MS (3 s by default), then returns a random permutation of the input string.',
    input: Type.String({ minLength: 1, maxLength: 65_536 }),
    example: 'some-string-goes-here',
    async handler(data, ctx) {
      if (settings.permuteDelayMs > 0) {
        await sleep(settings.permuteDelayMs, undefined, { signal: ctx.signal });
      }
      return permuteString(data);
    },
  });
