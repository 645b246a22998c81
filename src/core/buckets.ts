// The buckets, objects and multipart uploads model and its storage port (event-sources issue).
// Placeholder: the owner of src/events/bucket fills this in.

/** Storage of buckets, objects and multipart uploads; adapters live in src/storage. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BucketStore {}
