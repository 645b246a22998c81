// Reading and validating the parts of a request a route declares.
import type { z } from 'zod';
import { LaambdaError } from '../core/errors.ts';
import { requestInvalid } from './errors.ts';
import type { Route } from './route.ts';

/** JSON bodies are small (config, settings); archives go through `rawBody` routes. */
const MAX_JSON_BODY_BYTES = 1024 * 1024;

export interface RequestParts {
  params: unknown;
  query: unknown;
  body: unknown;
}

export async function readRequestParts(route: Route, request: Request, params: Record<string, string>): Promise<RequestParts> {
  const url = new URL(request.url);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] ??= value;
  return {
    params: route.params === undefined ? undefined : validate(route.params, params, 'params'),
    query: route.query === undefined ? undefined : validate(route.query, query, 'query'),
    body: route.body === undefined ? undefined : validate(route.body, await readJson(request), 'body'),
  };
}

function validate(schema: z.ZodType, value: unknown, where: string): unknown {
  const result = schema.safeParse(value);
  if (!result.success) throw requestInvalid(where, result.error.issues);
  return result.data;
}

async function readJson(request: Request): Promise<unknown> {
  const text = await readText(request);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LaambdaError('ERR_API_REQUEST_INVALID', `invalid request: body: expected JSON (${(error as Error).message})`);
  }
}

async function readText(request: Request): Promise<string> {
  if (request.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_JSON_BODY_BYTES) {
      throw new LaambdaError('ERR_API_REQUEST_INVALID', `invalid request: body: expected at most ${MAX_JSON_BODY_BYTES} bytes of JSON`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
