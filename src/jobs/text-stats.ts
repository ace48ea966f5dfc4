import { Type } from '@sinclair/typebox';
import { defineJob } from './define.js';

/** Counts of a text: the kind of slow-ish analysis one takes off a request path. */
export const textStats = defineJob({
  name: 'text-stats',
  description:
    'Characters, words, lines, sentences and the `top` most frequent words (default 10) of `text`.',
  input: Type.Object(
    {
      text: Type.String({ maxLength: 1_000_000 }),
      top: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    },
    { additionalProperties: false },
  ),
  example: { text: 'The quick brown fox jumps over the lazy dog. The dog sleeps.', top: 3 },
  handler({ text, top = 10 }) {
    const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    const topWords = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([word, count]) => ({ word, count }));
    return {
      characters: Array.from(text).length,
      words: words.length,
      lines: text === '' ? 0 : text.split(/\r\n|\r|\n/).length,
      sentences: (text.match(/[.!?]+(\s|$)/g) ?? []).length,
      topWords,
    };
  },
});
