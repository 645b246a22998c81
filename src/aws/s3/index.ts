// The S3 API of laambda's AWS endpoint (path style), over the bucket service.
export { createS3Handler, type S3Handler, type S3HandlerOptions } from './handler.ts';
export { AwsChunkedDecoder } from './chunked.ts';
