// Async invocations with retries, event age and destinations: the public face of src/events/async.
export { createAsyncDispatcher } from './dispatcher.ts';
export type { AsyncDispatcher, AsyncDispatcherOptions, AsyncRunResult } from './dispatcher.ts';
export { invocationRecord, payloadValue } from './record.ts';
export type { InvocationCondition, InvocationRecord, InvocationRecordInput } from './record.ts';
