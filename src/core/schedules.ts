// The schedule ticks and async retries model and its storage port (event-sources issue).
// Placeholder: the owner of src/events/schedule fills this in.

/** Storage of schedule ticks and async retries; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ScheduleStore {}
