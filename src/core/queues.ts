// The queues and messages model and its storage port (event-sources issue).
// Placeholder: the owner of src/events/queue fills this in.

/** Storage of queues and messages; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface QueueStore {}
