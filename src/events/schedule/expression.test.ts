import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../../core/errors.ts';
import { latestFire, nextFire, parseSchedule, scheduleProblem } from './expression.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** The next `count` fire times after `from`, as ISO strings. */
function fires(expression: string, from: string, count = 3): Array<string | undefined> {
  const schedule = parseSchedule(expression);
  const out: Array<string | undefined> = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextFire(schedule, after);
    out.push(iso(next));
    if (next === undefined) break;
    after = next;
  }
  return out;
}

describe('schedule expressions', () => {
  // The examples of the EventBridge cron expressions reference.
  it('runs cron(0 10 * * ? *) at 10:00 UTC every day', () => {
    assert.deepEqual(fires('cron(0 10 * * ? *)', '2024-03-01T10:00:00Z'), ['2024-03-02T10:00:00Z', '2024-03-03T10:00:00Z', '2024-03-04T10:00:00Z']);
  });

  it('runs cron(15 12 * * ? *) at 12:15 every day, strictly after the given time', () => {
    assert.deepEqual(fires('cron(15 12 * * ? *)', '2024-03-01T12:14:59Z', 2), ['2024-03-01T12:15:00Z', '2024-03-02T12:15:00Z']);
  });

  it('runs cron(0 18 ? * MON-FRI *) at 18:00 on weekdays only', () => {
    // 2024-03-01 is a Friday.
    assert.deepEqual(fires('cron(0 18 ? * MON-FRI *)', '2024-03-01T18:00:00Z', 2), ['2024-03-04T18:00:00Z', '2024-03-05T18:00:00Z']);
  });

  it('runs cron(0 8 1 * ? *) at 8:00 on the first of every month', () => {
    assert.deepEqual(fires('cron(0 8 1 * ? *)', '2024-01-15T00:00:00Z', 2), ['2024-02-01T08:00:00Z', '2024-03-01T08:00:00Z']);
  });

  it('runs cron(0/15 * * * ? *) every 15 minutes and cron(0/10 * ? * MON-FRI *) every 10 on weekdays', () => {
    assert.deepEqual(fires('cron(0/15 * * * ? *)', '2024-03-01T23:40:00Z', 3), ['2024-03-01T23:45:00Z', '2024-03-02T00:00:00Z', '2024-03-02T00:15:00Z']);
    assert.deepEqual(fires('cron(0/10 * ? * MON-FRI *)', '2024-03-01T23:55:00Z', 1), ['2024-03-04T00:00:00Z']);
  });

  it('runs cron(0/5 8-17 ? * MON-FRI *) every 5 minutes from 8:00 to 17:55 on weekdays', () => {
    assert.deepEqual(fires('cron(0/5 8-17 ? * MON-FRI *)', '2024-03-04T17:54:00Z', 2), ['2024-03-04T17:55:00Z', '2024-03-05T08:00:00Z']);
  });

  it('runs cron(0 9 ? * 2#1 *) on the first Monday of the month', () => {
    assert.deepEqual(fires('cron(0 9 ? * 2#1 *)', '2024-01-01T09:00:00Z', 3), ['2024-02-05T09:00:00Z', '2024-03-04T09:00:00Z', '2024-04-01T09:00:00Z']);
  });

  it('runs cron(0 0 L * ? *) on the last day of each month, leap February included', () => {
    assert.deepEqual(fires('cron(0 0 L * ? *)', '2024-01-31T00:00:00Z', 3), ['2024-02-29T00:00:00Z', '2024-03-31T00:00:00Z', '2024-04-30T00:00:00Z']);
  });

  it('runs cron(0 0 ? * 6L *) on the last Friday and L alone on Saturdays', () => {
    assert.deepEqual(fires('cron(0 0 ? * 6L *)', '2024-01-01T00:00:00Z', 3), ['2024-01-26T00:00:00Z', '2024-02-23T00:00:00Z', '2024-03-29T00:00:00Z']);
    assert.deepEqual(fires('cron(0 0 ? * L *)', '2024-03-01T00:00:00Z', 2), ['2024-03-02T00:00:00Z', '2024-03-09T00:00:00Z']);
  });

  it('runs cron(0 0 15W * ? *) on the weekday nearest the 15th, and LW on the last weekday', () => {
    // 2024-06-15 is a Saturday → Friday 14th; 2024-09-15 a Sunday → Monday 16th; 2024-03-15 a Friday.
    assert.equal(iso(nextFire(parseSchedule('cron(0 0 15W * ? *)'), at('2024-06-01T00:00:00Z'))), '2024-06-14T00:00:00Z');
    assert.equal(iso(nextFire(parseSchedule('cron(0 0 15W * ? *)'), at('2024-09-01T00:00:00Z'))), '2024-09-16T00:00:00Z');
    assert.equal(iso(nextFire(parseSchedule('cron(0 0 15W * ? *)'), at('2024-03-01T00:00:00Z'))), '2024-03-15T00:00:00Z');
    // 2024-08-31 is a Saturday → Friday 30th; 1W on Saturday 2024-06-01 stays in June: Monday 3rd.
    assert.equal(iso(nextFire(parseSchedule('cron(0 0 LW * ? *)'), at('2024-08-01T00:00:00Z'))), '2024-08-30T00:00:00Z');
    assert.equal(iso(nextFire(parseSchedule('cron(0 0 1W * ? *)'), at('2024-05-31T00:00:00Z'))), '2024-06-03T00:00:00Z');
  });

  it('reads month and day names, day-of-week 1 as Sunday, lists and years', () => {
    assert.deepEqual(fires('cron(30 6 ? JAN,JUL 1 2025-2026)', '2024-12-31T00:00:00Z', 3), [
      '2025-01-05T06:30:00Z',
      '2025-01-12T06:30:00Z',
      '2025-01-19T06:30:00Z',
    ]);
    assert.deepEqual(fires('cron(0 0 1 1 ? 2030)', '2030-01-01T00:00:00Z', 1), [undefined]);
  });

  it('ticks rate() schedules from their anchor', () => {
    const anchor = at('2024-03-01T10:00:30Z');
    const fiveMinutes = parseSchedule('rate(5 minutes)');
    assert.equal(iso(nextFire(fiveMinutes, anchor, anchor)), '2024-03-01T10:05:30Z');
    assert.equal(iso(nextFire(fiveMinutes, at('2024-03-01T10:05:30Z'), anchor)), '2024-03-01T10:10:30Z');
    assert.equal(iso(nextFire(parseSchedule('rate(1 hour)'), anchor, anchor)), '2024-03-01T11:00:30Z');
    assert.equal(iso(nextFire(parseSchedule('rate(2 days)'), anchor, anchor)), '2024-03-03T10:00:30Z');
    assert.equal(iso(nextFire(parseSchedule('rate(1 minute)'), anchor - 60_000, anchor)), '2024-03-01T10:01:30Z');
  });

  it('finds the latest missed tick in a window', () => {
    const everyMinute = parseSchedule('cron(* * * * ? *)');
    assert.equal(iso(latestFire(everyMinute, at('2023-01-01T00:00:00Z'), at('2024-03-01T10:07:30Z'))), '2024-03-01T10:07:00Z');
    const yearly = parseSchedule('cron(0 0 1 1 ? *)');
    assert.equal(iso(latestFire(yearly, at('2020-06-01T00:00:00Z'), at('2024-03-01T00:00:00Z'))), '2024-01-01T00:00:00Z');
    assert.equal(latestFire(yearly, at('2024-01-01T00:00:00Z'), at('2024-03-01T00:00:00Z')), undefined);
    const rate = parseSchedule('rate(5 minutes)');
    assert.equal(latestFire(rate, 0, 299_999, 0), undefined);
    assert.equal(latestFire(rate, 0, 700_000, 0), 600_000);
  });

  it('rejects invalid expressions with ERR_SCHEDULE_INVALID naming the field and why', () => {
    const cases: Array<[string, RegExp]> = [
      ['cron(0 10 * * * *)', /one of day-of-month and day-of-week must be "\?"/],
      ['cron(0 10 ? * ? *)', /cannot both be "\?"/],
      ['cron(0 10 * * ?)', /six fields.*has 5/],
      ['cron(60 10 * * ? *)', /minutes field "60": 60 is out of range 0-59/],
      ['cron(0 24 * * ? *)', /hours field "24": 24 is out of range 0-23/],
      ['cron(0 0 ? * 0 *)', /day-of-week field "0": 0 is out of range 1-7/],
      ['cron(0 0 ? FOO * *)', /month field "FOO": "FOO" is not a value \(use 1-12 or JAN-DEC\)/],
      ['cron(0 0 1 * ? 2200)', /year field "2200": 2200 is out of range 1970-2199/],
      ['cron(0 0 ? * 2#1,3#2 *)', /day-of-week field "2#1,3#2": with "#" the field holds one expression only/],
      ['cron(0 0 ? * 2#6 *)', /week number after "#" must be 1-5/],
      ['cron(0 0 3L * ? *)', /day-of-month field "3L": "3L" is not valid/],
      ['cron(0 ? * * ? *)', /hours field "\?": "\?" is only allowed in day-of-month or day-of-week/],
      ['cron(0/0 * * * ? *)', /step in "0\/0" must be a whole number of at least 1/],
      ['rate(1 minutes)', /write rate\(1 minute\)/],
      ['rate(5 minute)', /write rate\(5 minutes\)/],
      ['rate(0 minutes)', /at least 1/],
      ['rate(5 weeks)', /unknown unit "weeks"/],
      ['every 5 minutes', /must be rate\(N minutes\|hours\|days\) or cron/],
    ];
    for (const [expression, message] of cases) {
      assert.throws(
        () => parseSchedule(expression),
        (error: unknown) => isLaambdaError(error) && error.code === 'ERR_SCHEDULE_INVALID' && message.test(error.message),
        expression,
      );
      assert.match(scheduleProblem(expression) ?? '', message);
    }
    assert.equal(scheduleProblem('cron(0 18 ? * MON-FRI *)'), undefined);
  });
});
