// Logs (history, and a live tail as server-sent events), log drains and metrics of an app.
import { z } from 'zod';
import type { LogEntryView, LogFilter } from '../core/services.ts';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { DrainInfo, LogEntry, MetricsInfo } from './schemas.ts';
import { isoTime } from './views.ts';

const LogQuery = z.object({
  function: z.string().min(1).optional(),
  requestId: z.string().min(1).optional(),
  since: z.string().min(1).optional().describe('30s, 15m, 1h, 2d or an ISO time'),
  grep: z.string().min(1).optional().describe('Only lines containing this text (any case).'),
  lines: z.coerce.number().int().min(1).max(10_000).optional().describe('The newest N lines of the history; default 100.'),
  tail: z.enum(['true', 'false', '1', '0']).optional().describe('With Accept: text/event-stream: the history, then live lines as they are written.'),
});
const DrainBody = z.strictObject({ url: z.string().min(1).describe('tcp://host:port, syslog+tcp://host:port or https://host/path') });
const DrainQuery = z.object({ url: z.string().min(1) });
const MetricsQuery = z.object({ function: z.string().min(1).optional(), since: z.string().min(1).optional().describe('15m, 1h, 1d; default 1h') });

export const logJson = (entry: LogEntryView) => ({ ...entry, time: isoTime(entry.time) });

/** Comments every 15 s keep proxies (and the client's idle timers) from closing a quiet tail. */
const HEARTBEAT_MS = 15_000;

function tailResponse(history: LogEntryView[], subscribe: (send: (entry: LogEntryView) => void) => Promise<() => void>, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let stop: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const end = () => {
    stop?.();
    clearInterval(heartbeat);
  };
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (entry: LogEntryView) => {
        try {
          controller.enqueue(encoder.encode(`id: ${entry.id}\nevent: log\ndata: ${JSON.stringify(logJson(entry))}\n\n`));
        } catch {
          end();
        }
      };
      // Subscribe before sending the history so no line falls between the two; skip what the history had.
      const last = history.at(-1)?.id ?? -1;
      stop = await subscribe((entry) => entry.id > last && send(entry));
      for (const entry of history) send(entry);
      controller.enqueue(encoder.encode(': live\n\n'));
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': ping\n\n'));
        } catch {
          end();
        }
      }, HEARTBEAT_MS);
      heartbeat.unref();
      signal.addEventListener('abort', () => {
        end();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel: end,
  });
  return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } });
}

export const observeRoutes: Route[] = [
  route(
    {
      id: 'logs.query',
      method: 'GET',
      path: '/apps/{app}/logs',
      summary: 'Function output and platform events, oldest first; with tail=true and Accept: text/event-stream, then live lines (server-sent events)',
      tag: 'logs',
      params: AppParams,
      query: LogQuery,
      status: 200,
      response: z.array(LogEntry),
    },
    async ({ services, principal, params, query, request }) => {
      const filter: LogFilter = {
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(query.requestId === undefined ? {} : { requestId: query.requestId }),
        ...(query.since === undefined ? {} : { since: query.since }),
        ...(query.grep === undefined ? {} : { grep: query.grep }),
        ...(query.lines === undefined ? {} : { lines: query.lines }),
      };
      const history = await services.logs.query(principal, params.app, filter);
      const tail = query.tail === 'true' || query.tail === '1';
      if (!tail || !(request.headers.get('accept') ?? '').includes('text/event-stream')) return history.map(logJson);
      return tailResponse(history, (send) => services.logs.tail(principal, params.app, filter, send), request.signal);
    },
  ),
  route(
    { id: 'drains.list', method: 'GET', path: '/apps/{app}/drains', summary: 'Log drains of the app with their state', tag: 'logs', params: AppParams, status: 200, response: z.array(DrainInfo) },
    async ({ services, principal, params }) => services.drains.list(principal, params.app),
  ),
  route(
    {
      id: 'drains.add',
      method: 'POST',
      path: '/apps/{app}/drains',
      summary: "Send the app's log lines to a TCP (JSON lines), syslog (RFC 5424) or HTTPS endpoint",
      tag: 'logs',
      params: AppParams,
      body: DrainBody,
      status: 201,
      response: DrainInfo,
    },
    async ({ services, principal, params, body }) => services.drains.add(principal, params.app, body.url),
  ),
  route(
    { id: 'drains.remove', method: 'DELETE', path: '/apps/{app}/drains', summary: 'Remove the drain ?url=', tag: 'logs', params: AppParams, query: DrainQuery, status: 204 },
    async ({ services, principal, params, query }) => {
      await services.drains.remove(principal, params.app, query.url);
    },
  ),
  route(
    {
      id: 'metrics.query',
      method: 'GET',
      path: '/apps/{app}/metrics',
      summary: 'Per-function metrics over a window (default the last hour), with per-minute invocations and p99',
      tag: 'metrics',
      params: AppParams,
      query: MetricsQuery,
      status: 200,
      response: MetricsInfo,
    },
    async ({ services, principal, params, query }) => {
      const view = await services.metrics.query(principal, params.app, {
        ...(query.function === undefined ? {} : { function: query.function }),
        ...(query.since === undefined ? {} : { since: query.since }),
      });
      return { ...view, since: isoTime(view.since), until: isoTime(view.until), minutes: view.minutes.map((m) => ({ ...m, minute: isoTime(m.minute) })) };
    },
  ),
];
