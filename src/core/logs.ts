// The log lines and platform events model and its storage port (logs-and-metrics issue).
// Placeholder: the owner of src/observe/logs fills this in.

/** Storage of log lines and platform events; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogStore {}
