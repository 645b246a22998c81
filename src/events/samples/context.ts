import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** AWS's documentation account id; every sample event uses it. */
export const ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

/** What a generator may not decide for itself: the time and randomness (injected for tests). */
export interface SampleContext {
  now: Date;
  uuid: () => string;
  bytes: (count: number) => Buffer;
}

export function createSampleContext(now: Date = new Date()): SampleContext {
  return { now, uuid: randomUUID, bytes: randomBytes };
}

/** The option values a generator receives, by option name; absent means "use the default". */
export type SampleValues = Readonly<Partial<Record<string, string>>>;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function hex(ctx: SampleContext, bytes: number): string {
  return ctx.bytes(bytes).toString('hex');
}

/** Upper-case letters and digits, the alphabet of AWS principal and request ids. */
export function upperAlnum(ctx: SampleContext, length: number): string {
  return [...ctx.bytes(length)].map((byte) => ALNUM[byte % ALNUM.length]).join('');
}

export function lowerAlnum(ctx: SampleContext, length: number): string {
  return upperAlnum(ctx, length).toLowerCase();
}

/** A decimal string of `length` digits, as Kinesis and DynamoDB sequence numbers are. */
export function digits(ctx: SampleContext, length: number): string {
  const out = [...ctx.bytes(length)].map((byte) => String(byte % 10));
  if (out[0] === '0') out[0] = '4';
  return out.join('');
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's CLF request time. */
export function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Seconds since the epoch with millisecond precision, as Kinesis reports arrival. */
export function epochSecondsMs(date: Date): number {
  return date.getTime() / 1000;
}

/** `2015-10-08T16:53:06Z`: ISO 8601 without milliseconds (EventBridge). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
