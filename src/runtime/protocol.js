// The Lambda Runtime API contract (version 2018-06-01), shared by the platform side
// (runtime/host) and the bootstraps that run inside function processes (runtime/child).
// Plain JavaScript on purpose: a function process must not pay Node's TypeScript loader
// (~45 ms per cold start on this machine) to read a handful of constants.

export const RUNTIME_API_VERSION = '2018-06-01';

/** Headers the platform sends with each event on `GET /runtime/invocation/next`. */
export const HEADER = Object.freeze({
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  functionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  errorType: 'lambda-runtime-function-error-type',
  responseMode: 'lambda-runtime-function-response-mode',
});

/** The content type a streaming function uses to send an HTTP status and headers first. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** Synchronous request and response payloads are capped at 6 MB, as on AWS. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Error types the runtimes report, spelled as AWS spells them. */
export const ERROR_TYPE = Object.freeze({
  importModule: 'Runtime.ImportModuleError',
  handlerNotFound: 'Runtime.HandlerNotFound',
  malformedHandlerName: 'Runtime.MalformedHandlerName',
  userCodeSyntax: 'Runtime.UserCodeSyntaxError',
  exit: 'Runtime.ExitError',
  outOfMemory: 'Runtime.OutOfMemory',
  unhandledRejection: 'Runtime.UnhandledPromiseRejection',
  timeout: 'Sandbox.Timedout',
  responseTooLarge: 'Function.ResponseSizeTooLarge',
  invalidEntrypoint: 'Runtime.InvalidEntrypoint',
});

/**
 * The path of a Runtime API route below `AWS_LAMBDA_RUNTIME_API`.
 * @param {string} route e.g. `runtime/invocation/next`
 */
export function runtimePath(route) {
  return `/${RUNTIME_API_VERSION}/${route}`;
}
