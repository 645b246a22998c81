// The EventBridge Scheduled Event a schedule sends (AWS casing, as on the wire).
import { createHash } from 'node:crypto';

export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  /** The tick time, ISO 8601 to the second. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

export interface ScheduledEventOptions {
  id: string;
  /** The tick time (ms). */
  time: number;
  region: string;
  accountId: string;
  /** The rule name; laambda names them APP-FUNCTION-N (N counts the function's schedules from 1). */
  ruleName: string;
}

export function scheduledEvent(options: ScheduledEventOptions): ScheduledEvent {
  return {
    version: '0',
    id: options.id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.accountId,
    time: new Date(options.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region,
    resources: [`arn:aws:events:${options.region}:${options.accountId}:rule/${options.ruleName}`],
    detail: {},
  };
}

/** `APP-FUNCTION-N`. */
export function ruleName(appName: string, functionName: string, index: number): string {
  return `${appName}-${functionName}-${index}`;
}

/**
 * A uuid-shaped id that is the same for the same tick of the same schedule: a tick fired again
 * after a crash carries the same id, and the async store drops the duplicate.
 */
export function tickId(appId: string, functionName: string, expression: string, tickAt: number): string {
  const hex = createHash('sha256').update(`${appId}\n${functionName}\n${expression}\n${tickAt}`).digest('hex');
  // Version 8 (custom) with the RFC 9562 variant bits.
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
