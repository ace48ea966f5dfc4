/** Short human forms of the figures, shared by the terminal frame and the status line. */
import { padWidth, textWidth } from './text-width.js';

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)}G`;
  return `${Math.round(n / 1024 ** 2)}M`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}

/** HH:MM:SS in UTC, so two machines' screens agree. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function rate(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

/** Lays rows out in columns two spaces apart; numbers (columns in `right`) right-aligned. */
export function table(rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((v, c) => (widths[c] = Math.max(widths[c] ?? 0, textWidth(v))));
  return rows.map((row) =>
    row
      .map((v, c) => padWidth(v, widths[c]!, right.has(c)))
      .join('  ')
      .trimEnd(),
  );
}
