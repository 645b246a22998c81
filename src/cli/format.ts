// Human output of the platform commands: aligned tables, key-value blocks, relative times.
import { stripVTControlCharacters } from 'node:util';

const UNITS: Array<[limitSeconds: number, seconds: number, unit: string]> = [
  [3600, 60, 'minute'],
  [86_400, 3600, 'hour'],
  [30 * 86_400, 86_400, 'day'],
  [365 * 86_400, 30 * 86_400, 'month'],
  [Number.POSITIVE_INFINITY, 365 * 86_400, 'year'],
];

/** "just now", "3 minutes ago", "2 days ago" (future times, from clock skew, read "in 3 minutes"). */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (iso === null || iso === undefined) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const delta = Math.round((now - then) / 1000);
  const abs = Math.abs(delta);
  if (abs < 10) return 'just now';
  let phrase = `${abs} second${abs === 1 ? '' : 's'}`;
  if (abs >= 60) {
    for (const [limit, seconds, unit] of UNITS) {
      if (abs < limit) {
        const count = Math.floor(abs / seconds);
        phrase = `${count} ${unit}${count === 1 ? '' : 's'}`;
        break;
      }
    }
  }
  return delta >= 0 ? `${phrase} ago` : `in ${phrase}`;
}

/** Visible width: colour codes take no room. */
function width(text: string): number {
  return stripVTControlCharacters(text).length;
}

function pad(text: string, size: number): string {
  return text + ' '.repeat(Math.max(0, size - width(text)));
}

export interface TableOptions {
  /** Styles the header row (e.g. dim on a terminal). */
  header?: (text: string) => string;
  /** Text before every row. */
  indent?: string;
}

/** Columns aligned with two spaces between them; no trailing spaces; one line per row. */
export function table(headers: string[] | null, rows: string[][], options: TableOptions = {}): string {
  const all = headers === null ? rows : [headers, ...rows];
  const columns = Math.max(0, ...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...all.map((row) => width(row[i] ?? ''))));
  const line = (row: string[]) =>
    (options.indent ?? '') + row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join('  ').trimEnd();
  const lines = rows.map(line);
  if (headers !== null) lines.unshift((options.header ?? ((text: string) => text))(line(headers)));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** `Key:  value` lines with the values aligned, as `heroku apps:info` prints them. */
export function keyValues(pairs: Array<[string, string]>, indent = ''): string {
  const size = Math.max(0, ...pairs.map(([key]) => key.length + 1));
  return pairs.map(([key, value]) => `${indent}${`${key}:`.padEnd(size)}  ${value}\n`).join('');
}

/** 1536 → "1.5 KB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A value quoted for a POSIX shell: bare when safe, else in single quotes. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** "a", "a and b", "a, b and c". */
export function listing(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
