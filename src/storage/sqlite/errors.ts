// Turning database errors into LaambdaErrors. The checks know both SQLite's and PostgreSQL's
// error shapes so the stores stay portable.
import { isLaambdaError, LaambdaError } from '../../core/errors.ts';

interface DatabaseErrorShape {
  /** node:sqlite: the extended result code. */
  errcode?: unknown;
  /** pg: the SQLSTATE. */
  code?: unknown;
}

function shape(error: unknown): DatabaseErrorShape {
  return typeof error === 'object' && error !== null ? (error as DatabaseErrorShape) : {};
}

// SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY; PostgreSQL unique_violation.
const UNIQUE_SQLITE = new Set([2067, 1555]);
const UNIQUE_POSTGRES = '23505';
// SQLITE_CONSTRAINT_FOREIGNKEY; PostgreSQL foreign_key_violation.
const FOREIGN_KEY_SQLITE = 787;
const FOREIGN_KEY_POSTGRES = '23503';

export function isUniqueViolation(error: unknown): boolean {
  const { errcode, code } = shape(error);
  return (typeof errcode === 'number' && UNIQUE_SQLITE.has(errcode)) || code === UNIQUE_POSTGRES;
}

export function isForeignKeyViolation(error: unknown): boolean {
  const { errcode, code } = shape(error);
  return errcode === FOREIGN_KEY_SQLITE || code === FOREIGN_KEY_POSTGRES;
}

/** ERR_STORAGE_FAILED for an unexpected database error; LaambdaErrors pass through. */
export function storageError(what: string, error: unknown): LaambdaError {
  if (isLaambdaError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new LaambdaError('ERR_STORAGE_FAILED', `Could not ${what}: ${reason}`, { cause: error });
}

/** Runs one store operation, wrapping unexpected errors (`what` reads "Could not …"). */
export async function guard<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storageError(what, error);
  }
}

/** The app a row refers to is gone (removed meanwhile, or never existed). */
export function appMissing(appId: string, error: unknown): LaambdaError {
  return new LaambdaError('ERR_APP_NOT_FOUND', `App ${appId} does not exist (was it removed?)`, { cause: error });
}
