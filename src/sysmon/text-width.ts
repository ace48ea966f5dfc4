import stringWidth from 'string-width';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Columns a text takes on a terminal: escape codes take none, East Asian wide characters and
 * most emoji take two, combining marks none (a host name or a job error can hold any of them).
 */
export function textWidth(text: string): number {
  return stringWidth(text);
}

/** The text cut to at most `width` columns, ending in `…` when cut; never splits a grapheme. */
export function fitWidth(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = textWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return width > 0 ? `${out}…` : '';
}

/** Pads the text with spaces to `width` columns (on the left for `right`). */
export function padWidth(text: string, width: number, right = false): string {
  const pad = ' '.repeat(Math.max(0, width - textWidth(text)));
  return right ? pad + text : text + pad;
}
