// EventBridge schedule expressions: rate(N unit) and six-field cron(), always UTC.
// cron fields: minutes hours day-of-month month day-of-week year; exactly one of the two day
// fields is `?`; day-of-week counts 1-7 from Sunday (unlike Unix cron's 0-6).
import { LaambdaError } from '../../core/errors.ts';

export interface RateSchedule {
  kind: 'rate';
  expression: string;
  periodMs: number;
}

/** Day-of-month rules: plain days, `L` (last day), `LW` (last weekday), `NW` (weekday nearest N). */
interface MonthDays {
  kind: 'month';
  days: Set<number>;
  last: boolean;
  lastWeekday: boolean;
  nearestWeekday: Set<number>;
}

/** Day-of-week rules (0 = Sunday here): plain weekdays, `NL` (last N of the month), `N#k` (k-th N). */
interface WeekDays {
  kind: 'week';
  weekdays: Set<number>;
  lastOf: Set<number>;
  nth: { weekday: number; n: number } | undefined;
}

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  days: MonthDays | WeekDays;
}

export type Schedule = RateSchedule | CronSchedule;

const MINUTE = 60_000;
const UNIT_MS = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;

function invalid(expression: string, why: string): LaambdaError {
  return new LaambdaError('ERR_SCHEDULE_INVALID', `Invalid schedule "${expression}": ${why}`, { details: { expression } });
}

/**
 * Parses `rate(5 minutes)` or `cron(0 12 * * ? *)`. Throws ERR_SCHEDULE_INVALID saying which
 * field is wrong and why.
 */
export function parseSchedule(text: string): Schedule {
  const expression = text.trim();
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate !== null) return parseRate(expression, rate[1] ?? '');
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron !== null) return parseCron(expression, cron[1] ?? '');
  throw invalid(expression, 'must be rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)');
}

/** The reason an expression is invalid, or undefined when it is valid (for validators). */
export function scheduleProblem(text: string): string | undefined {
  try {
    parseSchedule(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof LaambdaError)) throw error;
    return error.message.replace(/^Invalid schedule ".*?": /, '');
  }
}

function parseRate(expression: string, body: string): RateSchedule {
  const match = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  if (match === null) throw invalid(expression, 'a rate is rate(N unit) with a whole number N and a unit of minutes, hours or days');
  const count = Number(match[1]);
  const unit = match[2] ?? '';
  const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
  if (!(singular in UNIT_MS)) throw invalid(expression, `unknown unit "${unit}"; use minute(s), hour(s) or day(s)`);
  if (count < 1) throw invalid(expression, 'the rate must be at least 1');
  if (count === 1 && unit !== singular) throw invalid(expression, `write rate(1 ${singular}): the unit is singular for 1`);
  if (count > 1 && unit === singular) throw invalid(expression, `write rate(${count} ${unit}s): the unit is plural above 1`);
  return { kind: 'rate', expression, periodMs: count * UNIT_MS[singular as keyof typeof UNIT_MS] };
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59 },
  hours: { name: 'hours', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  year: { name: 'year', min: FIRST_YEAR, max: LAST_YEAR },
} satisfies Record<string, FieldSpec>;

function parseCron(expression: string, body: string): CronSchedule {
  const fields = body.trim().split(/\s+/).filter((field) => field !== '');
  if (fields.length !== 6) {
    throw invalid(expression, `cron needs six fields (minutes hours day-of-month month day-of-week year); this has ${fields.length}`);
  }
  const [minutes = '', hours = '', dom = '', month = '', dow = '', year = ''] = fields.map((field) => field.toUpperCase());
  if (dom === '?' && dow === '?') throw invalid(expression, 'day-of-month and day-of-week cannot both be "?"; give one of them');
  if (dom !== '?' && dow !== '?') {
    throw invalid(expression, 'one of day-of-month and day-of-week must be "?" (e.g. "* ? " or "? MON-FRI"); both are set');
  }
  return {
    kind: 'cron',
    expression,
    minutes: parseField(expression, minutes, FIELDS.minutes),
    hours: parseField(expression, hours, FIELDS.hours),
    months: parseField(expression, month, FIELDS.month),
    years: parseField(expression, year, FIELDS.year),
    days: dow === '?' ? parseMonthDays(expression, dom) : parseWeekDays(expression, dow),
  };
}

function fieldError(expression: string, field: FieldSpec, text: string, why: string): LaambdaError {
  return invalid(expression, `${field.name} field "${text}": ${why}`);
}

function parseValue(expression: string, field: FieldSpec, text: string, whole: string): number {
  const named = field.names?.indexOf(text) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) {
    const names = field.names === undefined ? '' : ` or ${field.names[0]}-${field.names.at(-1)}`;
    throw fieldError(expression, field, whole, `"${text}" is not a value (use ${field.min}-${field.max}${names})`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw fieldError(expression, field, whole, `${value} is out of range ${field.min}-${field.max}`);
  }
  return value;
}

/** `,` lists of `*`, `N`, `A-B` (wrapping when A > B), each optionally `/STEP`. */
function parseField(expression: string, text: string, field: FieldSpec): Set<number> {
  if (text === '?') throw fieldError(expression, field, text, '"?" is only allowed in day-of-month or day-of-week');
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw fieldError(expression, field, text, 'empty list item');
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) throw fieldError(expression, field, text, `"${item}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw fieldError(expression, field, text, `the step in "${item}" must be a whole number of at least 1`);
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (range === '*') {
      [start, end] = [field.min, field.max];
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) throw fieldError(expression, field, text, `"${range}" is not a range A-B`);
      start = parseValue(expression, field, bounds[0] ?? '', text);
      end = bounds.length === 2 ? parseValue(expression, field, bounds[1] ?? '', text) : stepText === undefined ? start : field.max;
    }
    const span = end >= start ? end - start : end + (field.max - field.min + 1) - start;
    for (let offset = 0; offset <= span; offset += step) {
      values.add(((start - field.min + offset) % (field.max - field.min + 1)) + field.min);
    }
  }
  return values;
}

function parseMonthDays(expression: string, text: string): MonthDays {
  const field = FIELDS.dayOfMonth;
  const result: MonthDays = { kind: 'month', days: new Set(), last: false, lastWeekday: false, nearestWeekday: new Set() };
  const plain: string[] = [];
  for (const item of text.split(',')) {
    if (item === 'L') result.last = true;
    else if (item === 'LW') result.lastWeekday = true;
    else if (item.endsWith('W')) result.nearestWeekday.add(parseValue(expression, field, item.slice(0, -1), text));
    else if (item.includes('L') || item.includes('W') || item.includes('#')) {
      throw fieldError(expression, field, text, `"${item}" is not valid; day-of-month takes N, L, LW or NW (e.g. 15W)`);
    } else plain.push(item);
  }
  if (plain.length > 0) result.days = parseField(expression, plain.join(','), field);
  return result;
}

function parseWeekDays(expression: string, text: string): WeekDays {
  const field = FIELDS.dayOfWeek;
  const result: WeekDays = { kind: 'week', weekdays: new Set(), lastOf: new Set(), nth: undefined };
  const items = text.split(',');
  if (text.includes('#')) {
    if (items.length > 1) throw fieldError(expression, field, text, 'with "#" the field holds one expression only (e.g. 2#1)');
    const [day = '', nth = ''] = text.split('#');
    if (!/^[1-5]$/.test(nth)) throw fieldError(expression, field, text, `the week number after "#" must be 1-5`);
    result.nth = { weekday: parseValue(expression, field, day, text) - 1, n: Number(nth) };
    return result;
  }
  const plain: string[] = [];
  for (const item of items) {
    // `L` alone is the last day of the week: Saturday.
    if (item === 'L') result.weekdays.add(6);
    else if (item.endsWith('L')) result.lastOf.add(parseValue(expression, field, item.slice(0, -1), text) - 1);
    else if (item.includes('L') || item.includes('W')) {
      throw fieldError(expression, field, text, `"${item}" is not valid; day-of-week takes N, NAME, L, NL (e.g. 6L) or N#k (e.g. 2#1)`);
    } else plain.push(item);
  }
  if (plain.length > 0) for (const day of parseField(expression, plain.join(','), field)) result.weekdays.add(day - 1);
  return result;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday nearest `day` within the month (never crossing into another month). */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysIn(year, month);
  const target = Math.min(day, last);
  const dow = weekday(year, month, target);
  if (dow === 6) return target === 1 ? 3 : target - 1;
  if (dow === 0) return target === last ? target - 2 : target + 1;
  return target;
}

/** The days of a month the schedule's day fields select. */
function matchingDays(days: MonthDays | WeekDays, year: number, month: number): Set<number> {
  const last = daysIn(year, month);
  const selected = new Set<number>();
  if (days.kind === 'month') {
    for (const day of days.days) if (day <= last) selected.add(day);
    if (days.last) selected.add(last);
    if (days.lastWeekday) selected.add(nearestWeekday(year, month, last));
    for (const day of days.nearestWeekday) if (day <= last) selected.add(nearestWeekday(year, month, day));
    return selected;
  }
  const first = weekday(year, month, 1);
  for (let day = 1; day <= last; day++) {
    const dow = (first + day - 1) % 7;
    if (days.weekdays.has(dow)) selected.add(day);
    if (days.lastOf.has(dow) && day + 7 > last) selected.add(day);
    if (days.nth !== undefined && dow === days.nth.weekday && Math.ceil(day / 7) === days.nth.n) selected.add(day);
  }
  return selected;
}

/**
 * The first fire time strictly after `afterMs`, or undefined when there is none (a past year).
 * Rate schedules tick at `anchorMs + k * period` (k ≥ 1): EventBridge counts from the rule's creation.
 */
export function nextFire(schedule: Schedule, afterMs: number, anchorMs = 0): number | undefined {
  if (schedule.kind === 'rate') {
    const k = Math.max(1, Math.floor((afterMs - anchorMs) / schedule.periodMs) + 1);
    return anchorMs + k * schedule.periodMs;
  }
  return nextCron(schedule, afterMs);
}

function nextCron(cron: CronSchedule, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / MINUTE) * MINUTE + MINUTE);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  // Each pass either returns or moves to the start of a later year, month, day or hour.
  while (year <= LAST_YEAR) {
    if (!cron.years.has(year)) {
      [year, month, day, hour, minute] = [year + 1, 1, 1, 0, 0];
      continue;
    }
    if (!cron.months.has(month)) {
      [month, day, hour, minute] = [month + 1, 1, 0, 0];
      if (month > 12) [year, month] = [year + 1, 1];
      continue;
    }
    const days = matchingDays(cron.days, year, month);
    const nextDay = [...days].filter((d) => d >= day).sort((a, b) => a - b)[0];
    if (nextDay === undefined) {
      [month, day, hour, minute] = [month + 1, 1, 0, 0];
      if (month > 12) [year, month] = [year + 1, 1];
      continue;
    }
    if (nextDay !== day) [day, hour, minute] = [nextDay, 0, 0];
    const time = nextTime(cron, hour, minute);
    if (time === undefined) {
      [day, hour, minute] = [day + 1, 0, 0];
      if (day > daysIn(year, month)) {
        [month, day] = [month + 1, 1];
        if (month > 12) [year, month] = [year + 1, 1];
      }
      continue;
    }
    return Date.UTC(year, month - 1, day, time.hour, time.minute);
  }
  return undefined;
}

/** The first hour:minute of the day at or after hour:minute, if any. */
function nextTime(cron: CronSchedule, hour: number, minute: number): { hour: number; minute: number } | undefined {
  for (let h = hour; h < 24; h++) {
    if (!cron.hours.has(h)) continue;
    for (let m = h === hour ? minute : 0; m < 60; m++) if (cron.minutes.has(m)) return { hour: h, minute: m };
  }
  return undefined;
}

/**
 * The latest fire time in (`afterMs`, `untilMs`], or undefined: the one tick a scheduler that was
 * down fires on its return. Searches back in growing windows so a dense cron stays cheap.
 */
export function latestFire(schedule: Schedule, afterMs: number, untilMs: number, anchorMs = 0): number | undefined {
  if (untilMs <= afterMs) return undefined;
  if (schedule.kind === 'rate') {
    const k = Math.floor((untilMs - anchorMs) / schedule.periodMs);
    const tick = anchorMs + k * schedule.periodMs;
    return k >= 1 && tick > afterMs ? tick : undefined;
  }
  for (const window of [60 * MINUTE, 1440 * MINUTE, 31 * 1440 * MINUTE, 366 * 1440 * MINUTE, Infinity]) {
    const from = Math.max(afterMs, untilMs - window);
    let found: number | undefined;
    for (let tick = nextCron(schedule, from); tick !== undefined && tick <= untilMs; tick = nextCron(schedule, tick)) found = tick;
    if (found !== undefined || from === afterMs) return found;
  }
  return undefined;
}
