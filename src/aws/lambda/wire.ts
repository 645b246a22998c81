import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

// Lambda's REST-JSON wire: error bodies as the SDKs parse them, and bounded request bodies.

/** Writes a Lambda error: the type in `x-amzn-errortype`, `{ Type, message, ...extra }` as body. */
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify({ ...extra, Type: status >= 500 ? 'Service' : 'User', message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

export interface ReadBody {
  /** Undefined when the body was larger than the limit (it is still read to the end). */
  body: Buffer | undefined;
  size: number;
}

/** Reads the whole body, keeping at most `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: size > limit ? undefined : Buffer.concat(chunks), size }));
    req.on('error', reject);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why Lambda would refuse this payload as JSON, or undefined when it is JSON (or empty). */
export function payloadJsonError(payload: Buffer): string | undefined {
  if (payload.length === 0) return undefined;
  try {
    JSON.parse(utf8.decode(payload));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
