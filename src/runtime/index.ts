export { createEngine, type Engine, type EngineOptions } from './host/engine.ts';
export type { LogRecord, LogSink, LogStream } from './host/log-capture.ts';
export type { PoolStats } from './host/pool.ts';
export type { FunctionError, InvokeRequest, InvokeResult } from './host/types.ts';
export type { FunctionSpec, Runtime } from '../core/function.ts';
export { resolvePython, type PythonInterpreter } from './host/launch.ts';
