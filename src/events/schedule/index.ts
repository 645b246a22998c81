// Schedules (EventBridge rate/cron rules on functions): the public face of src/events/schedule.
export { latestFire, nextFire, parseSchedule, scheduleProblem } from './expression.ts';
export type { CronSchedule, RateSchedule, Schedule } from './expression.ts';
export { ruleName, scheduledEvent, tickId } from './payload.ts';
export type { ScheduledEvent, ScheduledEventOptions } from './payload.ts';
export { createScheduler } from './scheduler.ts';
export type { ScheduleTick, Scheduler, SchedulerOptions, UpcomingSchedule } from './scheduler.ts';
