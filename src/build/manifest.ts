// laambda.json: optional per-function settings and event sources beside the Procfile.
// parseManifest validates the text against the zod schema and maps it onto the core app types;
// every error names the file, the JSON path and what is expected.
import { z } from 'zod';
import type { AsyncConfig, Destination, EventSource, FunctionUrlConfig, HttpApiConfig } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import type { Runtime } from '../core/function.ts';
import { LIMITS, RESERVED_ENVIRONMENT_KEYS, RUNTIMES } from '../core/function.ts';
import { eventSchema } from './manifest-events.ts';
import { didYouMean, flag, strict, text, wholeNumber } from './manifest-helpers.ts';
import { corsSchema, FUNCTION_NAME, httpSchema } from './manifest-http.ts';

export const MANIFEST_FILE = 'laambda.json';

/** One function's laambda.json settings, mapped onto core names (memory → memoryMB, …). */
export interface ManifestFunction {
  runtime?: Runtime;
  memoryMB?: number;
  timeoutS?: number;
  concurrency?: number;
  environment: Record<string, string>;
  url?: FunctionUrlConfig;
  events?: EventSource[];
  async?: AsyncConfig;
}

/** A validated laambda.json with every default filled in. */
export interface Manifest {
  name?: string;
  http: HttpApiConfig;
  functions: Record<string, ManifestFunction>;
}

const environmentSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'the name must start with a letter and hold only letters, digits and _' })
      .refine((key) => !RESERVED_ENVIRONMENT_KEYS.has(key), { error: 'the name is reserved by Lambda' }),
    z.string({ error: 'must be a string (quote numbers and booleans)' }),
    { error: 'must be an object of NAME: "value"' },
  )
  .superRefine((environment, ctx) => {
    const bytes = Object.entries(environment).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (bytes > LIMITS.environmentBytes) {
      ctx.addIssue({ code: 'custom', message: `holds ${bytes} bytes; Lambda allows ${LIMITS.environmentBytes} in total` });
    }
  })
  .default({})
  .describe('Environment variables of this function (string values), on top of the app config.');

const urlSchema = z
  .union(
    [
      flag(),
      strict({
        authType: z
          .enum(['NONE', 'AWS_IAM'], { error: 'must be "NONE" or "AWS_IAM"' })
          .default('NONE')
          .describe('"NONE" (public) or "AWS_IAM" (requests must be SigV4-signed). Default "NONE".'),
        cors: corsSchema.optional(),
      }),
    ],
    { error: 'must be true, false or an object {authType, cors}' },
  )
  .transform((url): FunctionUrlConfig | undefined => (url === true ? { authType: 'NONE' } : url === false ? undefined : url))
  .describe('A function URL (payload 2.0): true for a public one, or {authType, cors}.');

// Lambda refuses FIFO queues as destinations.
const STANDARD_QUEUE = /^[A-Za-z0-9_-]{1,80}$/;
const destinationSchema = z
  .string({ error: 'must be "function:NAME" or "queue:NAME"' })
  .transform((value, ctx): Destination => {
    const [kind = '', ...rest] = value.split(':');
    const name = rest.join(':');
    if (kind === 'function' && FUNCTION_NAME.test(name)) return { kind, name };
    if (kind === 'queue' && STANDARD_QUEUE.test(name)) return { kind, name };
    const message =
      kind === 'function'
        ? 'the function must be a Procfile function name (letters, digits, - and _)'
        : kind === 'queue'
          ? 'the queue must be a standard queue name: 1-80 letters, digits, - and _ (FIFO queues cannot be destinations)'
          : 'must be "function:NAME" or "queue:NAME"';
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

const asyncSchema = strict({
  maximumRetryAttempts: wholeNumber(0, 2).default(2).describe('Retries after a function error (0-2). Default 2.'),
  maximumEventAge: wholeNumber(60, 21_600)
    .default(21_600)
    .describe('Seconds an event may wait (queued or between retries) before it is dropped to onFailure (60-21600). Default 21600.'),
  onSuccess: destinationSchema.optional().describe('Where the record of a success goes: "function:NAME" or "queue:NAME". Default: nowhere.'),
  onFailure: destinationSchema
    .optional()
    .describe('Where the record of a failure (retries exhausted, event too old) goes: "function:NAME" or "queue:NAME". Default: nowhere.'),
})
  .transform(
    ({ maximumEventAge, onSuccess, onFailure, maximumRetryAttempts }): AsyncConfig => ({
      maximumRetryAttempts,
      maximumEventAgeSeconds: maximumEventAge,
      ...(onSuccess === undefined ? {} : { onSuccess }),
      ...(onFailure === undefined ? {} : { onFailure }),
    }),
  )
  .describe('Event (asynchronous) invocations: retries, event age and destinations, as Lambda\'s event invoke config.');

const functionSchema = strict({
  runtime: z
    .enum(RUNTIMES, { error: `must be one of ${RUNTIMES.join(', ')}` })
    .optional()
    .describe('nodejs, python or provided; overrides detection from the files. Default: detected.'),
  memory: wholeNumber(LIMITS.memoryMB.min, LIMITS.memoryMB.max)
    .optional()
    .describe(`Memory in MB (${LIMITS.memoryMB.min}-${LIMITS.memoryMB.max}). Default ${LIMITS.memoryMB.default}.`),
  timeout: wholeNumber(LIMITS.timeoutS.min, LIMITS.timeoutS.max)
    .optional()
    .describe(`Timeout in seconds (${LIMITS.timeoutS.min}-${LIMITS.timeoutS.max}). Default ${LIMITS.timeoutS.default}.`),
  concurrency: wholeNumber(1, 10_000)
    .optional()
    .describe('Most environments running at once (1-10000); more requests are throttled. Default: the platform setting.'),
  environment: environmentSchema,
  url: urlSchema.optional(),
  events: z
    .array(eventSchema, { error: 'must be a list of events' })
    .optional()
    .describe('What invokes the function. Omitted: the routes ANY /NAME and ANY /NAME/{proxy+}; [] for none (an authorizer).'),
  async: asyncSchema.optional(),
})
  .transform(({ memory, timeout, ...rest }): ManifestFunction => ({ ...rest, memoryMB: memory, timeoutS: timeout }))
  .describe('Settings of one Procfile function.');

export const manifestSchema = strict({
  $schema: z
    .string({ error: 'must be a string' })
    .optional()
    .describe('The JSON Schema for editors, e.g. "./node_modules/laambda/schema/laambda.schema.json"; ignored by laambda.'),
  name: text('must be 1-63 lowercase letters, digits and -, starting with a letter', /^[a-z][a-z0-9-]{0,62}$/)
    .optional()
    .describe('The app name (lowercase letters, digits and -). Default: the directory name.'),
  http: httpSchema.default({ authorizers: {} }),
  functions: z
    .record(text('the name must be a Procfile function name (letters, digits, - and _)', FUNCTION_NAME), functionSchema, {
      error: 'must be an object of functions by Procfile name',
    })
    .default({})
    .describe('Settings by Procfile function name; each must name a Procfile function.'),
})
  .transform(({ $schema: _ignored, ...manifest }): Manifest => manifest)
  .describe('laambda.json: per-function settings and event sources for the functions of a Procfile.');

/** The JSON Schema (draft 2020-12) of laambda.json, for editors; scripts/generate-schema.ts writes it. */
export function manifestJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' });
  return { $schema, title: 'laambda.json', ...rest };
}

/** The committed schema file's exact text: `schema/laambda.schema.json`. */
export function renderManifestSchema(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}

/** A problem at a JSON path, e.g. `functions.hello.memory`. */
export interface ManifestIssue {
  path: PropertyKey[];
  message: string;
}

/** `functions.hello.events[1].http` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      const plain = /^[A-Za-z_$][\w$-]*$/.test(name);
      return plain ? `${index === 0 ? '' : '.'}${name}` : `[${JSON.stringify(name)}]`;
    })
    .join('');
}

/** The error for a list of issues: one line each, `FILE: PATH: message`. */
export function manifestError(file: string, issues: ManifestIssue[], cause?: unknown): LaambdaError {
  // One value can fail several checks with the same message (64.5 is neither whole nor >= 128).
  const lines = new Set(issues.map(({ path, message }) => `${file}: ${path.length > 0 ? `${formatPath(path)}: ` : ''}${message}`));
  return new LaambdaError('ERR_APP_MANIFEST_INVALID', [...lines].join('\n'), {
    details: { file, issues: issues.map(({ path, message }) => ({ path: formatPath(path), message })) },
    ...(cause === undefined ? {} : { cause }),
  });
}

const MISSING = Symbol('missing');

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return MISSING;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function got(value: unknown): string {
  if (Array.isArray(value)) return ' (got a list)';
  if (value !== null && typeof value === 'object') return ' (got an object)';
  const json = JSON.stringify(value);
  return ` (got ${json.length > 60 ? `${json.slice(0, 57)}...` : json})`;
}

/**
 * One union member explains a failed union best: the one whose type and required keys fit the
 * value (`{"queue": …}` is a queue event). With none or several, the union's own message stands.
 */
function unionBranch(issue: z.core.$ZodIssueInvalidUnion, raw: unknown): z.core.$ZodIssue[] | undefined {
  const value = valueAt(raw, issue.path);
  const fitting = issue.errors.filter((branch) =>
    branch.every((inner) => inner.code !== 'invalid_type' || (inner.path.length > 0 && valueAt(value, inner.path) !== MISSING)),
  );
  if (fitting.length !== 1) return undefined;
  return fitting[0]?.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

function toIssues(issue: z.core.$ZodIssue, raw: unknown): ManifestIssue[] {
  if (issue.code === 'invalid_union') {
    const branch = unionBranch(issue, raw);
    if (branch !== undefined) return branch.flatMap((inner) => toIssues(inner, raw));
  }
  if (issue.code === 'invalid_key') {
    return [{ path: issue.path, message: issue.issues[0]?.message ?? 'invalid name' }];
  }
  const value = valueAt(raw, issue.path);
  if (value === MISSING && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) return [{ path: issue.path, message: 'is required' }];
  const showValue =
    value !== MISSING && issue.code !== 'unrecognized_keys' && (issue.code === 'invalid_type' || value === null || typeof value !== 'object');
  return [{ path: issue.path, message: issue.message + (showValue ? got(value) : '') }];
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const { line, column } = lineColumn(text, at === null ? text.length : Number(at[1]));
    const reason = message.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of the file');
    throw new LaambdaError('ERR_APP_MANIFEST_INVALID', `${file}:${line}:${column}: invalid JSON: ${reason}`, {
      details: { file, line, column },
      cause: error,
    });
  }
}

/** References inside the file: routes naming declared authorizers, scopes only with JWT ones. */
function checkReferences(manifest: Manifest): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const declared = Object.keys(manifest.http.authorizers);
  for (const [name, fn] of Object.entries(manifest.functions)) {
    (fn.events ?? []).forEach((event, index) => {
      if (event.kind !== 'http') return;
      const path = ['functions', name, 'events', index];
      const authorizer = event.authorizer === undefined ? undefined : manifest.http.authorizers[event.authorizer];
      if (event.authorizer !== undefined && authorizer === undefined) {
        const known = declared.length > 0 ? `declared: ${declared.join(', ')}` : 'none is declared';
        issues.push({
          path: [...path, 'authorizer'],
          message: `no authorizer "${event.authorizer}" under http.authorizers (${known})${didYouMean(event.authorizer, declared)}`,
        });
      } else if (event.scopes !== undefined && authorizer?.type !== 'jwt') {
        const why = authorizer === undefined ? 'the route has no authorizer' : `"${event.authorizer}" is a ${authorizer.type} authorizer`;
        issues.push({ path: [...path, 'scopes'], message: `scopes need a jwt authorizer; ${why}` });
      }
    });
  }
  return issues;
}

/**
 * Async destinations naming functions the app does not have; `functions` are the Procfile
 * names (laambda.json alone does not know them all).
 */
export function asyncDestinationIssues(manifest: Manifest, functions: readonly string[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const [name, fn] of Object.entries(manifest.functions)) {
    for (const key of ['onSuccess', 'onFailure'] as const) {
      const destination = fn.async?.[key];
      if (destination?.kind !== 'function' || functions.includes(destination.name)) continue;
      issues.push({
        path: ['functions', name, 'async', key],
        message: `no function "${destination.name}" in the app (functions: ${functions.join(', ')})${didYouMean(destination.name, functions)}`,
      });
    }
  }
  return issues;
}

/** Validates laambda.json text; throws ERR_APP_MANIFEST_INVALID naming the file and JSON path. */
export function parseManifest(text: string, file: string = MANIFEST_FILE): Manifest {
  const raw = parseJson(text.replace(/^\uFEFF/, ''), file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw manifestError(file, [{ path: [], message: `must be a JSON object${got(raw)}` }]);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) throw manifestError(file, result.error.issues.flatMap((issue) => toIssues(issue, raw)), result.error);
  const issues = checkReferences(result.data);
  if (issues.length > 0) throw manifestError(file, issues);
  return result.data;
}
