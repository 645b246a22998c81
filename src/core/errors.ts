/**
 * Every platform error laambda raises has a stable code from this registry.
 * `docs/errors.md` has one row per code (a test keeps the two in step).
 */

/** Who has to act: the user (bad input, limits) or the operator (a fault of the platform). */
export type ErrorKind = 'user' | 'system';

interface ErrorDefinition {
  status: number;
  kind: ErrorKind;
  /** One line on how to fix it; the CLI prints it under the message. */
  fix: string;
}

export const ERROR_CODES = {
  ERR_CONFIG_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Correct the named setting in the config file, the LAAMBDA_* variable or the flag.',
  },
  ERR_CONFIG_FILE_UNREADABLE: {
    status: 400,
    kind: 'user',
    fix: 'Check that the config file exists and holds valid JSON.',
  },
  ERR_APP_PROCFILE_MISSING: {
    status: 400,
    kind: 'user',
    fix: 'Add a Procfile with one line per function, e.g. `hello: index.handler`.',
  },
  ERR_APP_PROCFILE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Write each Procfile line as `name: module.handler`; names use letters, digits, - and _.',
  },
  ERR_APP_FUNCTION_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'Use one of the function names listed in the Procfile.',
  },
  ERR_APP_MANIFEST_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Correct laambda.json at the named path (see docs/laambda-json.md); its keys must match the Procfile.',
  },
  ERR_APP_RUNTIME_UNKNOWN: {
    status: 400,
    kind: 'user',
    fix: 'Add package.json, requirements.txt or an executable bootstrap, or pass --runtime nodejs|python|provided.',
  },
  ERR_FUNCTION_CONFIG_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Memory must be 128-10240 MB, timeout 1-900 s, concurrency at least 1.',
  },
  ERR_FUNCTION_ENV_TOO_LARGE: {
    status: 400,
    kind: 'user',
    fix: 'Keep the function environment under 4 KB in total; move large values to files or a bucket.',
  },
  ERR_INVOKE_PAYLOAD_TOO_LARGE: {
    status: 413,
    kind: 'user',
    fix: 'Send at most 6 MB in a synchronous invocation; pass large data through a bucket.',
  },
  ERR_INVOKE_THROTTLED: {
    status: 429,
    kind: 'user',
    fix: 'Retry with back-off, or raise the function concurrency limit.',
  },
  ERR_INVOKE_EVENT_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Pass a JSON event: a file path, - for standard input, or inline JSON.',
  },
  ERR_EVENT_OPTION_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Pass only the options the event type takes, with values as `laambda events:generate --help` lists them.',
  },
  ERR_HTTP_ROUTE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Write routes as `METHOD /path` (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY) with variables as whole segments {name} and at most one greedy {name+} last, or $default; declare each route once.',
  },
  ERR_HTTP_AUTHORIZER_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Check the named authorizer under http.authorizers: identity sources as $request.header.X, $request.querystring.X, $context.X or $stageVariables.X (or method.request.header.X), a valid validationExpression regex, and exactly one of jwksUrl / jwksFile for jwt.',
  },
  ERR_EVENT_TYPE_UNKNOWN: {
    status: 400,
    kind: 'user',
    fix: 'Use one of the event types listed in the message, e.g. laambda events:generate s3-put.',
  },
  ERR_BUILD_TYPESCRIPT: {
    status: 400,
    kind: 'user',
    fix: 'Fix the TypeScript at the file:line:column named in the message; the last good build keeps running meanwhile.',
  },
  ERR_RUNTIME_INTERPRETER_MISSING: {
    status: 500,
    kind: 'system',
    fix: 'Install the interpreter (e.g. python3.11) or set LAAMBDA_PYTHON to its path.',
  },
  ERR_RUNTIME_SPAWN_FAILED: {
    status: 500,
    kind: 'system',
    fix: 'Check that the runtime command exists and is executable (for provided: chmod +x bootstrap).',
  },
  ERR_ENGINE_CLOSED: {
    status: 503,
    kind: 'system',
    fix: 'The engine is shutting down; retry against a running instance.',
  },
  ERR_DEV_LISTEN_FAILED: {
    status: 500,
    kind: 'user',
    fix: 'Pick a free port with --port (0 chooses one) or stop the process that holds it.',
  },
  ERR_DEV_DEPENDENCIES_FAILED: {
    status: 500,
    kind: 'user',
    fix: 'Fix package.json / requirements.txt so the install succeeds; the last good code keeps serving meanwhile.',
  },
  ERR_PLATFORM_INTERNAL: {
    status: 500,
    kind: 'system',
    fix: 'This is a bug in laambda; please report it with the log lines around it.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface LaambdaErrorOptions {
  cause?: unknown;
  /** Extra structured detail for logs and API bodies (never secrets). */
  details?: Record<string, unknown>;
}

/** The one base error of the platform: a stable code, an HTTP status and a kind. */
export class LaambdaError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly code: Code;
  readonly status: number;
  readonly kind: ErrorKind;
  readonly fix: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: LaambdaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LaambdaError';
    this.code = code;
    const definition: ErrorDefinition = ERROR_CODES[code];
    this.status = definition.status;
    this.kind = definition.kind;
    this.fix = definition.fix;
    this.details = options.details;
  }
}

export function isLaambdaError(value: unknown): value is LaambdaError {
  return value instanceof LaambdaError;
}
