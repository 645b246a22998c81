// `--since 1h` and friends: a duration back from now, or an absolute ISO time.
import { LaambdaError } from '../../core/errors.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*([smhd])$/;
// Date.parse reads "1" or "May 2" as dates too; only ISO-looking text is taken as a time.
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The time (ms) that `text` means relative to `now`: `30s`, `15m`, `1h`, `2d`, or an ISO time
 * such as `2025-01-31T12:00:00Z`. Throws ERR_LOGS_QUERY_INVALID otherwise.
 */
export function parseSince(text: string, now: number): number {
  const trimmed = text.trim();
  const duration = DURATION.exec(trimmed);
  if (duration !== null) return now - Math.round(Number(duration[1]) * (UNITS[duration[2] ?? 's'] ?? 1000));
  if (ISO.test(trimmed)) {
    const time = Date.parse(trimmed);
    if (Number.isFinite(time)) return time;
  }
  throw new LaambdaError(
    'ERR_LOGS_QUERY_INVALID',
    `Cannot read ${JSON.stringify(text)} as a time: use a duration like 30s, 15m, 1h or 2d, or an ISO time like 2025-01-31T12:00:00Z`,
  );
}
