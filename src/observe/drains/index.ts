// Log drains: ship every line of an app to a TCP log stack, a syslog server or an HTTPS endpoint.
export type { DrainManager, DrainManagerOptions, DrainStatus } from './manager.ts';
export { createDrainManager } from './manager.ts';
export type { DrainKind, DrainTarget } from './url.ts';
export { parseDrainUrl, redactDrainUrl } from './url.ts';
export type { DrainJsonRecord } from './format.ts';
export { formatJsonLine, formatSyslog, formatSyslogFrame, frameOctetCounted, escapeSdValue, syslogPriority } from './format.ts';
export type { DrainState, BackoffOptions } from './sender.ts';
export type { HttpBatchOptions } from './http-sender.ts';
