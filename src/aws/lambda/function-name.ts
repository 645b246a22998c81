// The Invoke API's `FunctionName`: a name, `NAME:QUALIFIER`, a partial ARN
// (`ACCOUNT:function:NAME[:QUALIFIER]`) or a full ARN, plus the `?Qualifier=` parameter.

export interface FunctionRef {
  name: string;
  /** A version or alias; undefined for the live function (`$LATEST` or none). */
  qualifier: string | undefined;
  /** The qualifier exactly as the caller gave it, `$LATEST` included (for error messages). */
  requestedQualifier: string | undefined;
}

export type FunctionRefOutcome = ({ ok: true } & FunctionRef) | { ok: false; message: string };

export const LATEST = '$LATEST';

function splitName(decoded: string): { name: string; qualifier: string | undefined } {
  const parts = decoded.split(':');
  // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
  if (parts[0] === 'arn' && parts.length >= 7) return { name: parts[6] ?? '', qualifier: parts[7] };
  // ACCOUNT:function:NAME[:QUALIFIER]
  if (parts[1] === 'function' && parts.length >= 3) return { name: parts[2] ?? '', qualifier: parts[3] };
  return { name: parts[0] ?? '', qualifier: parts[1] };
}

/**
 * Reads the function and qualifier an Invoke names. The qualifier may come from the name or from
 * `?Qualifier=`, but the two must agree, as on AWS.
 */
export function parseFunctionRef(rawName: string, queryQualifier: string | null): FunctionRefOutcome {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawName);
  } catch {
    decoded = rawName;
  }
  const { name, qualifier: derived } = splitName(decoded);
  const given = queryQualifier === null || queryQualifier === '' ? undefined : queryQualifier;
  if (derived !== undefined && given !== undefined && derived !== given) {
    return { ok: false, message: 'The derived qualifier from the function name does not match the specified qualifier.' };
  }
  const requestedQualifier = derived === '' ? undefined : (derived ?? given);
  return {
    ok: true,
    name,
    qualifier: requestedQualifier === LATEST ? undefined : requestedQualifier,
    requestedQualifier,
  };
}
