import type { PayloadVersion } from './payload.ts';

/** What the gateway writes back to the client. */
export interface HttpResponse {
  statusCode: number;
  /** In write order; a name may repeat (`set-cookie`). */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** The gateway's own failures, each with API Gateway's status and JSON message. */
export const GATEWAY_ERRORS = {
  functionError: { statusCode: 502, message: 'Internal Server Error' },
  malformedResponse: { statusCode: 502, message: 'Internal Server Error' },
  timeout: { statusCode: 504, message: 'Endpoint request timed out' },
  throttled: { statusCode: 429, message: 'Too Many Requests' },
  tooLarge: { statusCode: 413, message: 'Request Entity Too Large' },
  notFound: { statusCode: 404, message: 'Not Found' },
} as const;

export type GatewayErrorKind = keyof typeof GATEWAY_ERRORS;

/** A gateway error response: `{"message":"…"}` as application/json. */
export function gatewayErrorResponse(kind: GatewayErrorKind): HttpResponse {
  const { statusCode, message } = GATEWAY_ERRORS[kind];
  return jsonResponse(statusCode, JSON.stringify({ message }));
}

function jsonResponse(statusCode: number, text: string): HttpResponse {
  return { statusCode, headers: [['content-type', 'application/json']], body: Buffer.from(text) };
}

/** Thrown inside this module only: the result cannot become an HTTP response. */
class MalformedResult extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MalformedResult(`header "${name}" must be a string, number or boolean`);
}

function statusOf(value: unknown): number {
  // Lambda proxy results are JSON; a numeric string status is accepted as API Gateway does.
  const status = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new MalformedResult('statusCode must be an integer from 100 to 599');
  }
  return status;
}

function singleHeaders(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new MalformedResult('headers must be an object');
  return Object.entries(value).map(([name, v]) => [name, headerValue(name, v)]);
}

function multiHeaders(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new MalformedResult('multiValueHeaders must be an object');
  return Object.entries(value).flatMap(([name, values]) => {
    if (!Array.isArray(values)) throw new MalformedResult(`multiValueHeaders "${name}" must be an array`);
    return values.map((v): [string, string] => [name, headerValue(name, v)]);
  });
}

function bodyOf(result: Record<string, unknown>): Buffer {
  const { body, isBase64Encoded } = result;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') throw new MalformedResult('body must be a string');
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') {
    throw new MalformedResult('isBase64Encoded must be a boolean');
  }
  return isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body);
}

function mapV1(result: unknown): HttpResponse {
  if (!isRecord(result) || result.statusCode === undefined) {
    throw new MalformedResult('a 1.0 result must be an object with a statusCode');
  }
  const statusCode = statusOf(result.statusCode);
  const multi = multiHeaders(result.multiValueHeaders);
  // When a header is in both maps, only the multiValueHeaders values are kept.
  const multiNames = new Set(multi.map(([name]) => name.toLowerCase()));
  const single = singleHeaders(result.headers).filter(([name]) => !multiNames.has(name.toLowerCase()));
  return { statusCode, headers: [...single, ...multi], body: bodyOf(result) };
}

function mapV2(result: unknown, text: string): HttpResponse {
  if (!isRecord(result) || result.statusCode === undefined) {
    // The inferred format: any JSON without a statusCode is the body of a 200. A string is
    // sent as its own text; anything else as the JSON the function returned.
    return jsonResponse(200, typeof result === 'string' ? result : text);
  }
  const statusCode = statusOf(result.statusCode);
  const headers = singleHeaders(result.headers);
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies) || !result.cookies.every((c) => typeof c === 'string')) {
      throw new MalformedResult('cookies must be an array of strings');
    }
    for (const cookie of result.cookies) headers.push(['set-cookie', cookie]);
  }
  // 2.0 has no multiValueHeaders: a function sends repeated values comma-joined in headers.
  return { statusCode, headers, body: bodyOf(result) };
}

export interface MapResultOptions {
  version: PayloadVersion;
  /** The function's result payload as the runtime returned it (JSON text). */
  payload: Buffer | string;
}

export type MappedResponse =
  | { ok: true; response: HttpResponse }
  | { ok: false; response: HttpResponse; reason: string };

/**
 * Map a successful invocation's payload to the client response. A result the gateway cannot
 * use becomes 502 `{"message":"Internal Server Error"}`, with `reason` for the logs.
 */
export function mapResult(options: MapResultOptions): MappedResponse {
  const text = Buffer.isBuffer(options.payload) ? options.payload.toString('utf8') : options.payload;
  try {
    let result: unknown;
    try {
      result = JSON.parse(text);
    } catch {
      throw new MalformedResult('the result is not valid JSON');
    }
    const response = options.version === '1.0' ? mapV1(result) : mapV2(result, text);
    return { ok: true, response };
  } catch (error) {
    if (!(error instanceof MalformedResult)) throw error;
    return { ok: false, response: gatewayErrorResponse('malformedResponse'), reason: error.message };
  }
}
