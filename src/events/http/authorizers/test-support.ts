// Shared by this folder's unit tests: requests, a fake clock and a stand-in authorizer function.
import type { HttpRequest } from '../payload.ts';
import { parseRoute } from '../routes.ts';
import type { AuthorizerDeps } from './types.ts';

export function makeRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    rawPath: '/pets/42',
    rawQueryString: '',
    headers: [],
    body: Buffer.alloc(0),
    sourceIp: '192.0.2.1',
    requestId: 'req-1',
    time: new Date('2024-05-01T12:00:00Z'),
    stage: 'test',
    domainName: 'abcdef123.execute-api.eu-west-1.amazonaws.com',
    route: parseRoute('GET /pets/{id}'),
    pathParameters: { id: '42' },
    ...overrides,
  };
}

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.parse('2024-05-01T12:00:00Z')): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}

export type FakeResult = { payload: unknown } | { error: { errorType: string; errorMessage: string } } | { raw: string };

/** A stand-in for the authorizer function: answers with `respond(event)` and records each event. */
export function fakeFunction(respond: (event: Record<string, any>) => FakeResult) {
  const calls: Array<{ functionName: string; event: Record<string, any> }> = [];
  const invoke: AuthorizerDeps['invoke'] = async (functionName, event) => {
    const recorded = event as Record<string, any>;
    calls.push({ functionName, event: recorded });
    const result = respond(recorded);
    if ('error' in result) return { payload: Buffer.from(JSON.stringify(result.error)), error: result.error };
    if ('raw' in result) return { payload: Buffer.from(result.raw) };
    return { payload: Buffer.from(JSON.stringify(result.payload)) };
  };
  return { invoke, calls };
}

export function policy(effect: 'Allow' | 'Deny', resource: string | string[], extra: Record<string, unknown> = {}) {
  return {
    principalId: 'user-1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...extra,
  };
}

export function bodyOf(response: { body: Buffer }): unknown {
  return JSON.parse(response.body.toString('utf8'));
}

export function headerOf(response: { headers: Array<[string, string]> }, name: string): string | undefined {
  return response.headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}
