/** A function's error as the runtime reported it (or as the platform reports a crash). */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
}

/** What a caller asks of one invocation. */
export interface InvokeRequest {
  /** The event: JSON text or bytes. */
  payload: Buffer | string;
  /** Return the last 4 KB of the invocation's log (the Invoke API's `LogType: Tail`). */
  logTail?: boolean;
  /** Client context as JSON text (the Invoke API base64-decodes it first). */
  clientContext?: string;
  /** Cognito identity as JSON text. */
  identity?: string;
  /** Use this request id instead of a new one (async retries keep theirs). */
  requestId?: string;
  traceId?: string;
}

/** An invocation handed to an environment. */
export interface Invocation {
  requestId: string;
  payload: Buffer;
  functionArn: string;
  traceId: string;
  clientContext: string | undefined;
  identity: string | undefined;
  logTail: boolean;
  resolve(result: InvokeResult): void;
  /** Platform failures only (throttle, shutdown): function errors resolve. */
  reject(error: Error): void;
}

/** The outcome of one invocation: a function error is a result, never a throw. */
export interface InvokeResult {
  requestId: string;
  /** The response body, or the error JSON when the function failed. */
  payload: Buffer;
  contentType: string | undefined;
  /** Set when the function failed (the Invoke API's `X-Amz-Function-Error: Unhandled`). */
  error: FunctionError | undefined;
  executedVersion: string;
  coldStart: boolean;
  initDurationMs: number | undefined;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  logTail: string | undefined;
}
