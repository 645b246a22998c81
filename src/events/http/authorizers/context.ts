import type { PayloadVersion } from '../payload.ts';
import type { ApiFlavor } from './types.ts';

/** What a Lambda authorizer let through, before it is shaped for the route's event. */
export interface LambdaGrant {
  flavor: ApiFlavor;
  /** Only IAM-policy answers carry one. */
  principalId?: string;
  context: Record<string, unknown>;
  /** ms spent invoking the authorizer; 0 for a cached answer. */
  integrationLatency: number;
}

/** Keys of a REST context whose values are not string, number or boolean (which REST rejects). */
export function nonScalarContextKeys(context: Record<string, unknown>): string[] {
  return Object.entries(context)
    .filter(([, value]) => typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    .map(([key]) => key);
}

/**
 * `requestContext.authorizer` for the route's event. 2.0 routes get `{lambda: context}`; 1.0 routes
 * get the context flat beside `principalId` and `integrationLatency`, and a REST API passes the
 * context values stringified (`123` → `"123"`, `true` → `"true"`).
 */
export function lambdaRouteContext(grant: LambdaGrant, routeVersion: PayloadVersion): Record<string, unknown> {
  if (routeVersion === '2.0') return { lambda: { ...grant.context } };
  const context =
    grant.flavor === 'rest' ? Object.fromEntries(Object.entries(grant.context).map(([key, value]) => [key, String(value)])) : grant.context;
  const shaped: Record<string, unknown> = {
    ...(grant.principalId === undefined ? {} : { principalId: grant.principalId }),
    integrationLatency: grant.integrationLatency,
    ...context,
  };
  // The authorizer's own fields win over context keys of the same name.
  if (grant.principalId !== undefined) shaped.principalId = grant.principalId;
  shaped.integrationLatency = grant.integrationLatency;
  return shaped;
}
