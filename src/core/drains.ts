// The log drains model and its storage port (logs-and-metrics issue).
// Placeholder: the owner of src/observe/drains fills this in.

/** Storage of log drains; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DrainStore {}
