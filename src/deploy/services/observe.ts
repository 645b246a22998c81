// Logs, drains and metrics of an app as the control API shows them.
import { LaambdaError } from '../../core/errors.ts';
import type { LogEntry, LogFilter as StoreLogFilter } from '../../core/logs.ts';
import type { LogEntryView, LogFilter, MetricsView, PlatformServices } from '../../core/services.ts';
import type { DrainManager } from '../../observe/drains/index.ts';
import { parseSince, type LogService } from '../../observe/logs/index.ts';
import type { Metrics } from '../../observe/metrics/index.ts';
import type { ServiceContext } from './context.ts';

/** The observability services the API reaches into. */
export interface ObserveServices {
  logs: LogService;
  drains: DrainManager;
  metrics: Metrics;
}

const DEFAULT_HISTORY_LINES = 100;
const HOUR_MS = 3_600_000;

function entryView(entry: LogEntry): LogEntryView {
  return {
    id: entry.id,
    time: entry.time,
    function: entry.function,
    release: entry.release,
    requestId: entry.requestId,
    stream: entry.stream,
    type: entry.type,
    line: entry.line,
  };
}

type Services = Pick<PlatformServices, 'logs' | 'drains' | 'metrics'>;

export function observeServices(context: ServiceContext): Services {
  const observe = (): ObserveServices => {
    const found = context.deps.observe;
    if (found === undefined) throw new LaambdaError('ERR_PLATFORM_INTERNAL', 'this server runs without logs and metrics');
    return found;
  };

  function storeFilter(appId: string, filter: LogFilter): StoreLogFilter {
    return {
      appId,
      ...(filter.function === undefined ? {} : { function: filter.function }),
      ...(filter.requestId === undefined ? {} : { requestId: filter.requestId }),
      ...(filter.since === undefined ? {} : { since: parseSince(filter.since, context.deps.clock.now()) }),
      ...(filter.grep === undefined ? {} : { grep: filter.grep }),
      limit: filter.lines ?? DEFAULT_HISTORY_LINES,
    };
  }

  return {
    logs: {
      async query(principal, appName, filter) {
        const app = await context.app(principal, appName);
        return (await observe().logs.query(storeFilter(app.id, filter))).map(entryView);
      },
      async tail(principal, appName, filter, onEntry) {
        const app = await context.app(principal, appName);
        const { since: _since, limit: _limit, ...live } = storeFilter(app.id, filter);
        return observe().logs.subscribe(live, (entry) => onEntry(entryView(entry)));
      },
    },
    drains: {
      async list(principal, appName) {
        const app = await context.app(principal, appName);
        return observe().drains.list(app.id);
      },
      async add(principal, appName, url) {
        const app = await context.app(principal, appName);
        return (await observe().drains.add(app.id, url)).drain;
      },
      async remove(principal, appName, url) {
        const app = await context.app(principal, appName);
        await observe().drains.remove(app.id, url);
      },
    },
    metrics: {
      async query(principal, appName, options): Promise<MetricsView> {
        const app = await context.app(principal, appName);
        const now = context.deps.clock.now();
        let since: number;
        try {
          since = options.since === undefined ? now - HOUR_MS : parseSince(options.since, now);
        } catch (error) {
          throw new LaambdaError('ERR_METRICS_QUERY_INVALID', error instanceof Error ? error.message : String(error), { cause: error });
        }
        const result = await observe().metrics.query({ appId: app.id, since, ...(options.function === undefined ? {} : { function: options.function }), by: 'function' });
        return {
          since: result.since,
          until: result.until,
          functions: result.groups.map((group) => ({
            function: group.function,
            invocations: group.summary.invocations,
            errors: group.summary.errors,
            throttles: group.summary.throttles,
            timeouts: group.summary.timeouts,
            coldStarts: group.summary.coldStarts,
            p50Ms: group.summary.p50Ms,
            p90Ms: group.summary.p90Ms,
            p99Ms: group.summary.p99Ms,
            billedMs: group.summary.billedMs,
            maxMemoryMB: group.summary.invocations === 0 ? null : group.summary.maxMemoryMB,
            maxConcurrency: group.summary.invocations === 0 ? null : group.summary.maxConcurrency,
          })),
          minutes: result.groups.flatMap((group) =>
            group.points.map((point) => ({ minute: point.minute, function: group.function, invocations: point.invocations, errors: point.errors, p99Ms: point.p99Ms })),
          ),
        };
      },
    },
  };
}
