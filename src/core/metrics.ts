// The one-minute metric rollups model and its storage port (logs-and-metrics issue).
// Placeholder: the owner of src/observe/metrics fills this in.

/** Storage of one-minute metric rollups; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MetricStore {}
