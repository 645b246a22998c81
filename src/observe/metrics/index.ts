export {
  createMetrics,
  type InvocationLabels,
  type Metrics,
  type MetricsGroup,
  type MetricsOptions,
  type MetricsQuery,
  type MetricsQueryResult,
} from './metrics.ts';
export { createMetricsHandler, type MetricsHandlerOptions } from './handler.ts';
export type { AsyncQueueGauge, FunctionLabels, QueueMappingGauge } from './prometheus.ts';
export type { MetricPoint, MetricSeries, MetricSummary } from './rollups.ts';
