// The Lambda API of laambda's AWS endpoint: Invoke, and the SigV4 check in front of it.
export {
  createInvokeApi,
  MAX_ASYNC_PAYLOAD_BYTES,
  type InvokeApiHandler,
  type InvokeApiOptions,
  type ResolveTarget,
} from './invoke.ts';
export {
  createSigV4Authenticate,
  type InvokeAuthOutcome,
  type InvokeCredential,
  type SigV4AuthenticateOptions,
} from './authenticate.ts';
export { parseFunctionRef, type FunctionRef, type FunctionRefOutcome } from './function-name.ts';
