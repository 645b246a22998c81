export {
  compareRoutes,
  createRouter,
  parseRoute,
  ROUTE_METHODS,
  type Route,
  type RouteDefinition,
  type RouteMatch,
  type RouteMethod,
  type Router,
  type RouteSegment,
} from './routes.ts';
export {
  buildEvent,
  buildV1Event,
  buildV2Event,
  formatRequestTime,
  isTextContentType,
  parseQuery,
  type HttpRequest,
  type PayloadVersion,
} from './payload.ts';
export {
  GATEWAY_ERRORS,
  gatewayErrorResponse,
  mapResult,
  type GatewayErrorKind,
  type HttpResponse,
  type MapResultOptions,
  type MappedResponse,
} from './response.ts';
