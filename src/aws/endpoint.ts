// The AWS endpoint: one listener that speaks Lambda, SQS and S3, as AWS_ENDPOINT_URL expects.
// A request names its service in its SigV4 credential scope (`…/REGION/SERVICE/aws4_request`);
// unsigned requests are told apart by shape: SQS's JSON protocol by `x-amz-target`, Lambda by its
// dated paths, everything else is S3 (path style: `/BUCKET/KEY`).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/ports.ts';

export type AwsService = 'lambda' | 's3' | 'sqs';

export interface AwsEndpointHandlers {
  /** Answers false when the request is not one of its routes (it has not read the body then). */
  lambda?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The whole body is read first (SQS requests are small JSON documents). */
  sqs?(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  /** Streams the body itself. */
  s3?(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** SendMessageBatch holds at most 10 messages of 1 MiB each; JSON escaping can double that. */
const MAX_SQS_BODY_BYTES = 24 * 1024 * 1024;
const LAMBDA_PATH = /^\/(2015-03-31|2014-11-13|2019-09-25|2021-10-31)\//;

/** Which service a request is for. */
export function serviceOf(req: IncomingMessage): AwsService {
  const authorization = req.headers.authorization ?? '';
  const url = req.url ?? '/';
  const scope =
    /Credential=[^/]+\/\d{8}\/[^/]+\/([a-z0-9-]+)\/aws4_request/.exec(authorization)?.[1] ??
    /X-Amz-Credential=[^&]*?(?:%2F|\/)\d{8}(?:%2F|\/)[^&%/]+(?:%2F|\/)([a-z0-9-]+)(?:%2F|\/)aws4_request/i.exec(url)?.[1];
  if (scope === 'lambda' || scope === 's3' || scope === 'sqs') return scope;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('AmazonSQS.')) return 'sqs';
  if (LAMBDA_PATH.test(url)) return 'lambda';
  return 's3';
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJsonError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function notServed(res: ServerResponse, service: AwsService, req: IncomingMessage): void {
  sendJsonError(res, 404, 'UnknownOperationException', `This endpoint does not serve ${service} (${req.method} ${(req.url ?? '').split('?')[0]})`);
}

/** The listener's request handler. */
export function createAwsEndpoint(handlers: AwsEndpointHandlers, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const service = serviceOf(req);
    if (service === 'lambda') {
      if (handlers.lambda === undefined || !(await handlers.lambda(req, res))) notServed(res, service, req);
      return;
    }
    if (service === 'sqs') {
      if (handlers.sqs === undefined) return notServed(res, service, req);
      const body = await readAll(req, MAX_SQS_BODY_BYTES);
      if (body === undefined) return sendJsonError(res, 413, 'com.amazonaws.sqs#BatchRequestTooLong', 'The request is larger than SQS accepts.');
      return handlers.sqs(req, res, body);
    }
    if (handlers.s3 === undefined) return notServed(res, service, req);
    return handlers.s3(req, res);
  };
  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error, method: req.method, url: req.url }, 'aws endpoint request failed');
      if (!res.headersSent) sendJsonError(res, 500, 'ServiceException', 'The service failed to handle the request; the server log has the cause.');
      else res.destroy();
    });
  };
}
