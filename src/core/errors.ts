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
  ERR_STORAGE_FAILED: {
    status: 500,
    kind: 'system',
    fix: 'Check that the data dir is writable and not used by another laambda server; the log has the database error.',
  },
  ERR_API_UNAUTHORIZED: {
    status: 401,
    kind: 'user',
    fix: "Send a token: run `laambda login URL`, or set LAAMBDA_TOKEN (the admin token is printed on the server's first start).",
  },
  ERR_API_FORBIDDEN: {
    status: 403,
    kind: 'user',
    fix: 'Use a token for this app or an admin token (`laambda tokens:create --app APP`).',
  },
  ERR_API_ROUTE_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'Check the path against /api/v1/openapi.json.',
  },
  ERR_API_REQUEST_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Correct the named field of the request body or query (see /api/v1/openapi.json).',
  },
  ERR_APP_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'Check the app name with `laambda apps`, or create it with `laambda apps:create NAME`.',
  },
  ERR_APP_EXISTS: {
    status: 409,
    kind: 'user',
    fix: 'Pick another name, or deploy to the existing app.',
  },
  ERR_APP_NAME_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Use 1-30 lower-case letters, digits and dashes, starting with a letter (the name is part of hostnames).',
  },
  ERR_APP_CONFIRM_MISMATCH: {
    status: 400,
    kind: 'user',
    fix: "Repeat the app's name with --confirm NAME to destroy it.",
  },
  ERR_APP_NOT_DEPLOYED: {
    status: 409,
    kind: 'user',
    fix: 'Deploy code first: `laambda deploy` or `git push laambda main`.',
  },
  ERR_RELEASE_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List the releases with `laambda releases` and pick one of their versions (v1, v2, ...).',
  },
  ERR_BUILD_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List builds with `laambda builds` and use one of their ids.',
  },
  ERR_BUILD_SOURCE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Upload a tar archive of the app directory (laambda deploy does this); it must hold a Procfile and stay under the size limit.',
  },
  ERR_BUILD_DEPENDENCIES_FAILED: {
    status: 400,
    kind: 'user',
    fix: "Fix package.json / requirements.txt so the install succeeds (the build output shows the installer's error); the live release keeps serving.",
  },
  ERR_BUILD_INIT_FAILED: {
    status: 400,
    kind: 'user',
    fix: 'The handler failed to load in a smoke init: fix the import or syntax error shown; the live release keeps serving.',
  },
  ERR_CONFIG_KEY_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Use KEY=VALUE with a key of letters, digits and _ that does not start with a digit and is not one Lambda sets itself (AWS_REGION, AWS_ACCESS_KEY_ID and the other AWS_LAMBDA_*/AWS_* runtime variables, LAMBDA_TASK_ROOT, _HANDLER).',
  },
  ERR_SECRETS_KEY_INVALID: {
    status: 500,
    kind: 'system',
    fix: 'Set LAAMBDA_MASTER_KEY to 64 hex characters or 44 base64 characters (32 bytes), or remove it to use the generated key file.',
  },
  ERR_SECRETS_DECRYPT_FAILED: {
    status: 500,
    kind: 'system',
    fix: 'The master key differs from the one the data was written with: restore the original LAAMBDA_MASTER_KEY or DATA_DIR/master.key.',
  },
  ERR_TOKEN_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List tokens with `laambda tokens` and use one of their ids.',
  },
  ERR_KEY_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List access keys with `laambda keys` and use one of their ids.',
  },
  ERR_CLI_NOT_LOGGED_IN: {
    status: 400,
    kind: 'user',
    fix: 'Run `laambda login URL`, or set LAAMBDA_URL and LAAMBDA_TOKEN.',
  },
  ERR_CLI_APP_REQUIRED: {
    status: 400,
    kind: 'user',
    fix: 'Name the app with -a APP, or run inside a git checkout with a remote named `laambda`.',
  },
  ERR_CLI_SERVER_UNREACHABLE: {
    status: 503,
    kind: 'system',
    fix: 'Check the server URL (`laambda login URL`, LAAMBDA_URL) and that `laambda server` is running.',
  },
  ERR_SERVER_LISTEN_FAILED: {
    status: 500,
    kind: 'user',
    fix: 'Pick free ports with --port/--gateway-port/--aws-port (0 chooses one) or stop the process holding them.',
  },
  ERR_GIT_FAILED: {
    status: 500,
    kind: 'system',
    fix: "Check that git (with git-http-backend) is installed on the server; the server log has git's error.",
  },
  ERR_QUEUE_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List queues with `laambda queues` (or create it with `laambda queues:create NAME`).',
  },
  ERR_QUEUE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Name queues with 1-80 letters, digits, - and _ (a FIFO queue: NAME.fifo with FifoQueue=true), send to FIFO queues with a MessageGroupId and a MessageDeduplicationId (or turn on ContentBasedDeduplication), and keep attributes within the SQS ranges shown.',
  },
  ERR_BUCKET_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: 'List buckets with `laambda buckets` (or create it with `laambda buckets:create NAME`).',
  },
  ERR_BUCKET_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Name buckets with 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.',
  },
  ERR_BUCKET_NOT_EMPTY: {
    status: 409,
    kind: 'user',
    fix: "Delete the bucket's objects first (`laambda objects BUCKET` lists them).",
  },
  ERR_OBJECT_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: "List the bucket's keys with `laambda objects BUCKET` and use one of them.",
  },
  ERR_OBJECT_KEY_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Use an object key of 1-1024 bytes of UTF-8 without NUL characters.',
  },
  ERR_EVENT_SOURCE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Write the source like `queue:orders?batch=10`, `bucket:uploads?events=created&prefix=logs/`, `schedule:rate(5 minutes)` or `http:GET:/users/{id}`.',
  },
  ERR_EVENT_SOURCE_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: "List the function's sources with `laambda event-sources FUNCTION` and name one of them exactly.",
  },
  ERR_SCHEDULE_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Use rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year) in UTC, with ? in one of the day fields.',
  },
  ERR_LOGS_QUERY_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Write --since as a duration like 30s, 15m, 1h or 2d (or an ISO time), and --grep as plain text.',
  },
  ERR_DRAIN_URL_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Give a drain URL like tcp://host:5000, syslog+tcp://host:514 or https://host/path.',
  },
  ERR_DRAIN_NOT_FOUND: {
    status: 404,
    kind: 'user',
    fix: "List the app's drains with `laambda drains` and name one of their URLs exactly.",
  },
  ERR_METRICS_QUERY_INVALID: {
    status: 400,
    kind: 'user',
    fix: 'Write --since as a duration like 15m, 1h or 1d; metrics are kept per minute.',
  },
  ERR_METRICS_FORBIDDEN: {
    status: 403,
    kind: 'user',
    fix: 'Send an admin token as `Authorization: Bearer TOKEN` to /metrics, or start the server with --metrics-public true (LAAMBDA_METRICS_PUBLIC=true).',
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
