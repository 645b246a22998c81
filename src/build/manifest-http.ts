// laambda.json `http`: CORS and authorizers, mapped onto the core app types.
import { z } from 'zod';
import type { AuthorizerConfig, CorsConfig, HttpApiConfig, RequestAuthorizerConfig } from '../core/app.ts';
import { flag, isRegExp, list, strict, text, wholeNumber } from './manifest-helpers.ts';

/** Names as the Procfile allows them. */
export const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const ORIGIN = /^(\*|[a-z][a-z0-9+.-]*:\/\/[^/\s]+)$/;
const CORS_METHOD = /^(\*|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/;
const HEADER_NAME = /^(\*|[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
const headers = () => list(text('must be "*" or a header name', HEADER_NAME), 'must be a list of header names').default([]);

export const corsSchema = strict({
  allowOrigins: list(text('must be "*" or an origin like https://example.com (no path)', ORIGIN), 'must be a list of origins')
    .default([])
    .describe('Origins allowed to call: "*" or origins like "https://example.com" (scheme and host, no path). Default [].'),
  allowMethods: list(text('must be "*" or one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS', CORS_METHOD), 'must be a list of methods')
    .default([])
    .describe('Methods allowed in cross-origin requests: "*" or GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS. Default [].'),
  allowHeaders: headers().describe('Request headers allowed in cross-origin requests (Access-Control-Allow-Headers). Default [].'),
  exposeHeaders: headers().describe('Response headers the browser may read (Access-Control-Expose-Headers). Default [].'),
  allowCredentials: flag()
    .default(false)
    .describe('Send Access-Control-Allow-Credentials: true. Not allowed with the origin "*". Default false.'),
  maxAge: wholeNumber(0, 86_400).optional().describe("Seconds a browser may cache a preflight answer (0-86400). Default: the browser's own."),
})
  .superRefine((cors, ctx) => {
    if (cors.allowCredentials && cors.allowOrigins.includes('*')) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowCredentials'],
        message: 'cannot be true when allowOrigins contains "*" (browsers and AWS reject it); list the origins instead',
      });
    }
  })
  .transform((cors): CorsConfig => cors)
  .describe('CORS, as API Gateway HTTP APIs configure it; laambda answers preflight requests itself.');

const IDENTITY_SOURCE =
  /^(\$request\.(header|querystring)\.[A-Za-z0-9_.-]+|\$context\.[A-Za-z0-9_.]+|\$stageVariables\.[A-Za-z0-9_]+|method\.request\.(header|querystring)\.[A-Za-z0-9_.-]+)$/;
const HEADER_SOURCE = /^(\$request\.header|method\.request\.header)\.[A-Za-z0-9_.-]+$/;
const identitySource = () =>
  text(
    'must be $request.header.NAME, $request.querystring.NAME, $context.NAME, $stageVariables.NAME, method.request.header.NAME or method.request.querystring.NAME',
    IDENTITY_SOURCE,
  );
const ttlSeconds = () => wholeNumber(0, 3600);
const functionName = () => text('must be a function name from the Procfile', FUNCTION_NAME);

const tokenAuthorizer = strict({
  type: z.literal('token').describe('A REST-style TOKEN authorizer: a function decides.'),
  function: functionName().describe('The Procfile function that decides; it gets {type: "TOKEN", authorizationToken, methodArn}.'),
  identitySource: text('must be one header: $request.header.NAME or method.request.header.NAME', HEADER_SOURCE)
    .default('$request.header.Authorization')
    .describe('The header holding the token. Default $request.header.Authorization.'),
  validationExpression: z
    .string({ error: 'must be a regular expression' })
    .refine(isRegExp, { error: 'must be a valid regular expression' })
    .optional()
    .describe('A regular expression the token must match, else 401 without invoking the authorizer.'),
  ttlSeconds: ttlSeconds().default(300).describe('Seconds a result is cached per token (0-3600). Default 300.'),
}).describe('TOKEN authorizer.');

const requestAuthorizer = strict({
  type: z.literal('request').describe('A REQUEST authorizer: a function decides from the request.'),
  function: functionName().describe('The Procfile function that decides; it gets the request (payload 1.0 or 2.0).'),
  payloadVersion: z
    .enum(['1.0', '2.0'], { error: 'must be "1.0" or "2.0"' })
    .default('2.0')
    .describe('The event the authorizer gets: "2.0" (HTTP API) or "1.0" (REST-style). Default "2.0".'),
  simpleResponses: flag()
    .default(false)
    .describe('Payload 2.0 only: the authorizer answers {isAuthorized, context} instead of an IAM policy. Default false.'),
  identitySource: list(identitySource(), 'must be a list of identity sources')
    .default([])
    .describe('Sources that must all be present (else 401 without invoking); they key the cache. Default [].'),
  ttlSeconds: ttlSeconds()
    .optional()
    .describe('Seconds a result is cached (0-3600). Default 300 when identitySource is given, else 0 (no caching).'),
})
  .superRefine((auth, ctx) => {
    if (auth.simpleResponses && auth.payloadVersion !== '2.0') {
      ctx.addIssue({ code: 'custom', path: ['simpleResponses'], message: 'is only allowed with payloadVersion "2.0"' });
    }
    if ((auth.ttlSeconds ?? 0) > 0 && auth.identitySource.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ttlSeconds'], message: 'needs identitySource, which keys the cache; set 0 or add sources' });
    }
  })
  .transform(
    (auth): RequestAuthorizerConfig => ({ ...auth, ttlSeconds: auth.ttlSeconds ?? (auth.identitySource.length > 0 ? 300 : 0) }),
  )
  .describe('REQUEST authorizer.');

const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const jwtAuthorizer = strict({
  type: z.literal('jwt').describe('A JWT authorizer, checked by laambda itself.'),
  issuer: text('must be an http(s) URL', HTTP_URL).describe("The token's iss claim must equal this URL."),
  audience: list(text('must be a non-empty string'), 'must be a list of audiences')
    .min(1, { error: 'must list at least one audience' })
    .describe("The token's aud (or client_id) must be one of these."),
  jwksUrl: text('must be an http(s) URL', HTTP_URL).optional().describe('Where the signing keys are (a JWKS URL). Give this or jwksFile.'),
  jwksFile: text('must be a file path relative to the app directory')
    .optional()
    .describe('A JWKS file, relative to the app directory (works offline). Give this or jwksUrl.'),
  identitySource: identitySource()
    .default('$request.header.Authorization')
    .describe('Where the token is; a "Bearer " prefix is stripped. Default $request.header.Authorization.'),
})
  .superRefine((auth, ctx) => {
    if ((auth.jwksUrl === undefined) === (auth.jwksFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of jwksUrl or jwksFile' });
    }
  })
  .describe('JWT authorizer.');

export const authorizerSchema = z
  .discriminatedUnion('type', [tokenAuthorizer, requestAuthorizer, jwtAuthorizer], {
    error: (issue) => (issue.code === 'invalid_union' ? 'must be "token", "request" or "jwt"' : 'must be an object with "type": "token", "request" or "jwt"'),
  })
  .transform((auth): AuthorizerConfig => auth)
  .describe('An authorizer routes can name: "token" or "request" (a function decides) or "jwt" (laambda checks the token).');

export const httpSchema = strict({
  cors: corsSchema.optional(),
  authorizers: z
    .record(text('must be a name of letters, digits, - and _', /^[A-Za-z0-9_-]+$/), authorizerSchema, {
      error: 'must be an object of authorizers by name',
    })
    .default({})
    .describe('Authorizers by name; a route uses one with "authorizer": "NAME".'),
})
  .transform((http): HttpApiConfig => http)
  .describe('Settings shared by every HTTP route of the app.');
