import type { RuntimeBenchResult } from './runtime.ts';

/** One number compared with its target; `pass` is null when there is nothing to compare. */
export interface Check {
  metric: string;
  value: number | null;
  unit: string;
  target: string | null;
  pass: boolean | null;
  note?: string;
}

type Bound = { max: number } | { min: number } | null;

function check(metric: string, value: number | null, unit: string, bound: Bound, note?: string): Check {
  const extra = note === undefined ? {} : { note };
  if (bound === null) return { metric, value, unit, target: null, pass: null, ...extra };
  const target = 'max' in bound ? `<= ${bound.max} ${unit}` : `>= ${bound.min} ${unit}`;
  if (value === null) return { metric, value, unit, target, pass: null, ...extra };
  const pass = 'max' in bound ? value <= bound.max : value >= bound.min;
  return { metric, value, unit, target, pass, ...extra };
}

/** A section that did not produce numbers: a failure misses its targets, a skip does not. */
function missing(metric: string, unit: string, bound: Bound, outcome: { failed: string } | { skipped: string }): Check {
  if ('skipped' in outcome) return check(metric, null, unit, bound, `skipped: ${outcome.skipped}`);
  return { ...check(metric, null, unit, bound, `failed: ${outcome.failed}`), pass: bound === null ? null : false };
}

function throttleNote(throttled: number): string | undefined {
  return throttled === 0 ? undefined : `${throttled} throttled (429) and retried`;
}

/** The targets of the runtime benchmark, in the order the summary table lists them. */
export function runtimeChecks(result: RuntimeBenchResult): Check[] {
  const { warmInvoke, throughput, coldStart, memory } = result;
  const checks: Check[] = [];

  if ('failed' in warmInvoke) {
    checks.push(missing('warm invoke p50', 'ms', { max: 0.5 }, warmInvoke));
  } else {
    checks.push(
      check('warm invoke p50', warmInvoke.p50, 'ms', { max: 0.5 }, `${warmInvoke.samples} sequential`),
      check('warm invoke p99', warmInvoke.p99, 'ms', { max: 2 }, throttleNote(warmInvoke.throttled)),
    );
  }

  for (const [callers, run, bound] of [
    [1, throughput.oneCaller, null],
    [8, throughput.eightCallers, { min: 5_000 }],
  ] as const) {
    const metric = `invocations/s, ${callers} caller(s)`;
    if ('failed' in run) {
      checks.push(missing(metric, '/s', bound, run));
    } else {
      const note = [`${run.environments} env(s)`, throttleNote(run.throttled)].filter(Boolean).join('; ');
      checks.push(check(metric, run.perSecond, '/s', bound, note));
    }
  }

  for (const [runtime, cold, target] of [
    ['nodejs', coldStart.nodejs, 80],
    ['python', coldStart.python, 100],
  ] as const) {
    if ('failed' in cold || 'skipped' in cold) {
      checks.push(missing(`cold start ${runtime} p50`, 'ms', { max: target }, cold));
      continue;
    }
    checks.push(
      check(`cold start ${runtime} p50`, cold.wallMs.p50, 'ms', { max: target }, `${cold.wallMs.samples} samples`),
      check(`cold start ${runtime} p90`, cold.wallMs.p90, 'ms', null),
      check(`cold start ${runtime} initDuration p50`, cold.initDurationMs.p50, 'ms', null, "the engine's own figure"),
    );
  }

  if ('failed' in memory.idle) {
    checks.push(missing('RSS idle platform (engine only)', 'MB', null, memory.idle));
  } else {
    checks.push(
      check('RSS bare node process', memory.idle.bareNodeRssMB, 'MB', null, 'node with an empty script: the floor'),
      check('RSS idle platform (engine only)', memory.idle.idleEngineRssMB, 'MB', null),
    );
  }
  const envs = memory.environments;
  if ('failed' in envs) {
    checks.push(missing('RSS per warm node env, max', 'MB', { max: 60 }, envs));
  } else {
    const rss = envs.perEnvironmentRssMB;
    checks.push(
      check('RSS per warm node env, mean', rss.mean, 'MB', { max: 60 }, `${envs.environments} envs`),
      check('RSS per warm node env, max', rss.max, 'MB', { max: 60 }),
      check('  private (RssAnon) per env, mean', rss.anonMean, 'MB', null),
      check('  PSS per env, mean', rss.pssMean, 'MB', null, 'shared pages split among envs'),
    );
  }
  return checks;
}

/** A fixed-width table for stdout. */
export function formatTable(checks: readonly Check[]): string {
  const rows = checks.map((c) => [
    c.metric,
    c.value === null ? '-' : `${c.value} ${c.unit}`,
    c.target ?? '',
    c.pass === null ? (c.target === null ? '' : 'SKIP') : c.pass ? 'pass' : 'FAIL',
    c.note ?? '',
  ]);
  const header = ['metric', 'value', 'target', 'result', 'note'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 1 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
