// A typed client of the control API (docs/api.md) for the CLI and the dashboard: one method per
// endpoint, JSON errors rethrown as ApiError, network failures as ERR_CLI_SERVER_UNREACHABLE.
import { LaambdaError } from '../core/errors.ts';
import type { FunctionOverrides } from '../core/platform.ts';
import type {
  AppInfoView,
  AppView,
  BucketView,
  BuildView,
  DrainView,
  EventSourceView,
  LogEntryView,
  LogFilter,
  MetricsView,
  ObjectView,
  QueueSettings,
  QueueView,
  ScheduleView,
  FunctionView,
  KeyView,
  ReleaseInfoView,
  ReleaseView,
  TokenView,
} from '../core/services.ts';

/** `T` with the time fields `K` as the API sends them: ISO 8601 strings (null stays null). */
type Iso<T, K extends keyof T> = Omit<T, K> & { [P in K]: null extends T[P] ? string | null : string };

export type ApiApp = Iso<AppView, 'createdAt'>;
export type ApiRelease = Iso<ReleaseView, 'createdAt'>;
export type ApiAppInfo = Iso<Omit<AppInfoView, 'lastDeploy'>, 'createdAt'> & { lastDeploy: ApiRelease | null };
export type ApiFunction = FunctionView;
export type ApiQueue = Iso<QueueView, 'createdAt'>;
export type ApiBucket = Iso<BucketView, 'createdAt'>;
export type ApiObject = Iso<ObjectView, 'lastModified'>;
export type ApiSchedule = Iso<ScheduleView, 'nextFireAt' | 'lastFiredAt'>;
export type ApiEventSource = EventSourceView;
export type ApiLogEntry = Iso<LogEntryView, 'time'>;
export type ApiDrain = DrainView;
export type ApiMetrics = Omit<MetricsView, 'since' | 'until' | 'minutes'> & {
  since: string;
  until: string;
  minutes: Array<Iso<MetricsView['minutes'][number], 'minute'>>;
};
export type ApiReleaseInfo = Iso<ReleaseInfoView, 'createdAt'>;
export type ApiBuild = Iso<BuildView, 'startedAt' | 'finishedAt'>;
export type ApiToken = Iso<TokenView, 'createdAt' | 'lastUsedAt'>;
export type ApiKey = Iso<KeyView, 'createdAt'>;

/** `GET /api/v1/auth`: who the token is. */
export interface ApiAuth {
  tokenId: string;
  name: string;
  app: string | null;
  admin: boolean;
}

/** A new access key. `endpointUrl` and `region` are sent by servers that know their AWS listener. */
export type ApiNewKey = ApiKey & { secretAccessKey: string; endpointUrl: string; region: string };

/** One line of the deploy stream (see "The deploy stream" in docs/api.md). */
export type ApiDeployEvent =
  | { type: 'step'; step: string; message: string }
  | { type: 'log'; step: string; message: string }
  | { type: 'result'; ok: true; build: string; release: ApiRelease }
  | { type: 'result'; ok: false; build: string | null; error: { code: string; message: string; fix: string } };

export interface DeployUpload {
  /** The tar archive, streamed as it is produced. */
  archive: AsyncIterable<Uint8Array>;
  gzip: boolean;
  description?: string;
  /** `deploy` (default) or `git`. */
  source?: string;
  revision?: string;
}

/** An error the server answered with: its stable code, message and fix line. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fix: string;
  readonly kind: 'user' | 'system';
  readonly requestId: string | undefined;

  constructor(body: { code: string; message: string; fix?: string; requestId?: string }, status: number) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.status = status;
    this.fix = body.fix ?? 'See docs/errors.md for this code.';
    this.kind = status >= 500 ? 'system' : 'user';
    this.requestId = body.requestId;
  }
}

export interface ApiClientOptions {
  /** The server's control URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  token: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

function unreachable(url: string, detail: string, cause?: unknown): LaambdaError {
  return new LaambdaError('ERR_CLI_SERVER_UNREACHABLE', `cannot reach the laambda server at ${url}: ${detail}`, { cause });
}

/** The innermost cause's message: fetch reports every network error as "fetch failed". */
function networkDetail(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const code = (current as { code?: unknown } | undefined)?.code;
  const message = current instanceof Error ? current.message : String(current);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

/** Reads an error answer; a body that is not a laambda error means the URL is not the API. */
async function toError(response: Response, base: string): Promise<Error> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = body as { code?: unknown; message?: unknown; fix?: unknown; requestId?: unknown } | undefined;
  if (record !== undefined && typeof record.code === 'string' && typeof record.message === 'string') {
    return new ApiError(
      {
        code: record.code,
        message: record.message,
        ...(typeof record.fix === 'string' ? { fix: record.fix } : {}),
        ...(typeof record.requestId === 'string' ? { requestId: record.requestId } : {}),
      },
      response.status,
    );
  }
  return unreachable(base, `HTTP ${response.status} from ${new URL(response.url || base).pathname} is not a laambda API answer (is this the control URL of \`laambda server\`?)`);
}

/** Splits an ndjson body into parsed lines as they arrive. */
async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield JSON.parse(line);
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered.trim() !== '') yield JSON.parse(buffered);
}

/** The control API over HTTP. Every method throws ApiError for an error answer. */
export function createApiClient(options: ApiClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const path = (...segments: string[]) => segments.map(encodeURIComponent).join('/');

  async function send(
    method: string,
    route: string,
    init: { query?: Query; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const url = new URL(`${base}/api/v1/${route}`);
    for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json', ...init.headers };
    const request: RequestInit = { method, headers, ...(init.signal === undefined ? {} : { signal: init.signal }) };
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      request.body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      request.body = init.body;
      // A streamed request body must say so (fetch's half-duplex upload).
      (request as RequestInit & { duplex: 'half' }).duplex = 'half';
    }
    let response: Response;
    try {
      response = await doFetch(url, request);
    } catch (error) {
      throw unreachable(base, networkDetail(error), error);
    }
    if (!response.ok) throw await toError(response, base);
    return response;
  }

  async function call<T>(method: string, route: string, init?: Parameters<typeof send>[2]): Promise<T> {
    const response = await send(method, route, init);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw unreachable(base, `the answer to ${method} /api/v1/${route} is not JSON`, error);
    }
  }

  async function* deploy(app: string, upload: DeployUpload): AsyncGenerator<ApiDeployEvent> {
    const response = await send('POST', `apps/${path(app)}/deploys`, {
      query: { description: upload.description, source: upload.source ?? 'deploy', revision: upload.revision },
      body: upload.archive,
      headers: { 'content-type': upload.gzip ? 'application/gzip' : 'application/x-tar', accept: 'application/x-ndjson' },
    });
    if (response.body === null) throw unreachable(base, 'the deploy answer has no body');
    let sawResult = false;
    try {
      for await (const event of ndjson(response.body)) {
        const typed = event as ApiDeployEvent;
        if (typed.type === 'result') sawResult = true;
        yield typed;
      }
    } catch (error) {
      if (error instanceof SyntaxError) throw unreachable(base, `a deploy stream line is not JSON: ${error.message}`, error);
      throw unreachable(base, `the connection broke during the build (${networkDetail(error)}); \`laambda builds\` shows how it ended`, error);
    }
    if (!sawResult) throw unreachable(base, 'the deploy stream ended without a result; `laambda builds` shows how the build ended');
  }

  /** Server-sent `log` events of a tail, parsed, until the server or `signal` ends it. */
  async function* tail(app: string, filter: LogFilter, signal?: AbortSignal): AsyncGenerator<ApiLogEntry> {
    const response = await send('GET', `apps/${path(app)}/logs`, {
      query: { ...filter, tail: 'true' },
      headers: { accept: 'text/event-stream' },
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.body === null) throw unreachable(base, 'the log tail has no body');
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = event.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
          if (data !== '') yield JSON.parse(data) as ApiLogEntry;
          end = buffered.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw unreachable(base, `the log tail broke off (${networkDetail(error)})`, error);
    }
  }

  return {
    url: base,
    /** `GET /health` (no token needed). */
    health: () => call<{ status: string; version: string }>('GET', 'health'),
    /** `GET /auth`: who the token is. */
    auth: () => call<ApiAuth>('GET', 'auth'),
    apps: {
      list: () => call<ApiApp[]>('GET', 'apps'),
      create: (input: { name: string; domain?: string }) => call<ApiApp>('POST', 'apps', { json: input }),
      info: (app: string) => call<ApiAppInfo>('GET', `apps/${path(app)}`),
      /** `confirm` must repeat the app name. */
      destroy: (app: string, confirm: string) => call<void>('DELETE', `apps/${path(app)}`, { query: { confirm } }),
    },
    functions: {
      list: (app: string) => call<ApiFunction[]>('GET', `apps/${path(app)}/functions`),
      /** Sets memory, timeout or concurrency; makes a new release. */
      update: (app: string, fn: string, overrides: FunctionOverrides) =>
        call<{ function: ApiFunction; release: ApiRelease }>('PATCH', `apps/${path(app)}/functions/${path(fn)}`, { json: overrides }),
    },
    eventSources: {
      list: (app: string, fn?: string) => call<ApiEventSource[]>('GET', `apps/${path(app)}/event-sources`, { query: { function: fn } }),
      add: (app: string, fn: string, source: string) =>
        call<{ sources: ApiEventSource[]; release: ApiRelease }>('POST', `apps/${path(app)}/functions/${path(fn)}/event-sources`, { json: { source } }),
      remove: (app: string, fn: string, source: string) =>
        call<{ sources: ApiEventSource[]; release: ApiRelease }>('POST', `apps/${path(app)}/functions/${path(fn)}/event-sources/remove`, { json: { source } }),
      clear: (app: string, fn: string) =>
        call<{ sources: ApiEventSource[]; release: ApiRelease }>('DELETE', `apps/${path(app)}/functions/${path(fn)}/event-sources`),
      reset: (app: string, fn: string) =>
        call<{ sources: ApiEventSource[]; release: ApiRelease }>('POST', `apps/${path(app)}/functions/${path(fn)}/event-sources/reset`),
    },
    queues: {
      list: (app: string) => call<ApiQueue[]>('GET', `apps/${path(app)}/queues`),
      create: (app: string, name: string, settings: QueueSettings = {}) => call<ApiQueue>('POST', `apps/${path(app)}/queues`, { json: { name, ...settings } }),
      remove: (app: string, name: string) => call<void>('DELETE', `apps/${path(app)}/queues/${path(name)}`),
      send: (app: string, name: string, message: { body: string; delayS?: number; groupId?: string; deduplicationId?: string }) =>
        call<{ messageId: string }>('POST', `apps/${path(app)}/queues/${path(name)}/messages`, { json: message }),
      purge: (app: string, name: string) => call<{ purged: number }>('POST', `apps/${path(app)}/queues/${path(name)}/purge`),
      redrive: (app: string, name: string) => call<{ moved: number }>('POST', `apps/${path(app)}/queues/${path(name)}/redrive`),
    },
    buckets: {
      list: (app: string) => call<ApiBucket[]>('GET', `apps/${path(app)}/buckets`),
      create: (app: string, name: string) => call<ApiBucket>('POST', `apps/${path(app)}/buckets`, { json: { name } }),
      remove: (app: string, name: string) => call<void>('DELETE', `apps/${path(app)}/buckets/${path(name)}`),
    },
    objects: {
      list: (app: string, bucket: string, prefix?: string) => call<ApiObject[]>('GET', `apps/${path(app)}/buckets/${path(bucket)}/objects`, { query: { prefix } }),
      put: (app: string, bucket: string, key: string, body: RequestInit['body'], contentType = 'application/octet-stream') =>
        call<ApiObject>('POST', `apps/${path(app)}/buckets/${path(bucket)}/objects`, { query: { key }, body, headers: { 'content-type': contentType } }),
      /** The object's bytes as a stream. */
      get: async (app: string, bucket: string, key: string) => {
        const response = await send('GET', `apps/${path(app)}/buckets/${path(bucket)}/object`, { query: { key }, headers: { accept: '*/*' } });
        return { contentType: response.headers.get('content-type') ?? 'application/octet-stream', body: response.body };
      },
    },
    schedules: {
      list: (app: string) => call<ApiSchedule[]>('GET', `apps/${path(app)}/schedules`),
    },
    logs: {
      query: (app: string, filter: LogFilter = {}) => call<ApiLogEntry[]>('GET', `apps/${path(app)}/logs`, { query: { ...filter } }),
      tail,
    },
    drains: {
      list: (app: string) => call<ApiDrain[]>('GET', `apps/${path(app)}/drains`),
      add: (app: string, url: string) => call<ApiDrain>('POST', `apps/${path(app)}/drains`, { json: { url } }),
      remove: (app: string, url: string) => call<void>('DELETE', `apps/${path(app)}/drains`, { query: { url } }),
    },
    metrics: {
      query: (app: string, options: { function?: string; since?: string } = {}) => call<ApiMetrics>('GET', `apps/${path(app)}/metrics`, { query: options }),
    },
    /** Uploads an archive and yields the build's events as they arrive, ending with a `result`. */
    deploy,
    builds: {
      list: (app: string) => call<ApiBuild[]>('GET', `apps/${path(app)}/builds`),
      get: (app: string, id: string) => call<ApiBuild>('GET', `apps/${path(app)}/builds/${path(id)}`),
    },
    releases: {
      list: (app: string, query: { limit?: number } = {}) => call<ApiRelease[]>('GET', `apps/${path(app)}/releases`, { query }),
      /** `version` as `3` or `v3`. */
      get: (app: string, version: number | string) => call<ApiReleaseInfo>('GET', `apps/${path(app)}/releases/${path(String(version))}`),
      /** Default target: the release before the live one. */
      rollback: (app: string, version?: number) =>
        call<ApiRelease>('POST', `apps/${path(app)}/rollback`, { json: version === undefined ? {} : { version } }),
    },
    config: {
      get: (app: string) => call<Record<string, string>>('GET', `apps/${path(app)}/config`),
      /** `null` unsets a key. */
      update: (app: string, changes: Record<string, string | null>) =>
        call<{ config: Record<string, string>; release: ApiRelease }>('PATCH', `apps/${path(app)}/config`, { json: changes }),
      clear: (app: string) => call<{ config: Record<string, string>; release: ApiRelease }>('DELETE', `apps/${path(app)}/config`),
    },
    tokens: {
      list: () => call<ApiToken[]>('GET', 'tokens'),
      /** Admin only; the plain token is in the answer and nowhere else. */
      create: (input: { name?: string; app?: string }) => call<ApiToken & { token: string }>('POST', 'tokens', { json: input }),
      revoke: (id: string) => call<void>('DELETE', `tokens/${path(id)}`),
    },
    keys: {
      list: (app: string) => call<ApiKey[]>('GET', `apps/${path(app)}/keys`),
      create: (app: string) => call<ApiNewKey>('POST', `apps/${path(app)}/keys`),
      revoke: (app: string, id: string) => call<void>('DELETE', `apps/${path(app)}/keys/${path(id)}`),
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
