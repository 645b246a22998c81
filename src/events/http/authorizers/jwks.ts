import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

/** The key set could not be fetched or read: the gateway answers 500, not 401. */
export class KeySetUnavailable extends Error {
  override name = 'KeySetUnavailable';
}

// Failures that say something about the token (no key for its kid or alg), not about the key set.
const TOKEN_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);

function isTokenError(error: unknown): boolean {
  return error instanceof errors.JOSEError && TOKEN_ERRORS.has(error.code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keys from a JWKS URL; jose caches them and refetches when a token names an unknown kid. */
export function remoteKeySet(url: string): JWTVerifyGetKey {
  const set = createRemoteJWKSet(new URL(url));
  return async (header, token) => {
    try {
      return await set(header, token);
    } catch (error) {
      if (isTokenError(error)) throw error;
      throw new KeySetUnavailable(`the JWKS at ${url} could not be fetched: ${describe(error)}`, { cause: error });
    }
  };
}

interface LoadedFile {
  mtimeMs: number;
  size: number;
  set: ReturnType<typeof createLocalJWKSet>;
}

/** Keys from a JWKS file, read again whenever the file changes (or a token names an unknown kid). */
export function fileKeySet(path: string): JWTVerifyGetKey {
  let loaded: LoadedFile | undefined;

  async function load(force: boolean): Promise<LoadedFile> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new KeySetUnavailable(`the JWKS file ${path} cannot be read: ${describe(error)}`, { cause: error });
    }
    if (!force && loaded !== undefined && loaded.mtimeMs === info.mtimeMs && loaded.size === info.size) return loaded;
    try {
      const jwks: unknown = JSON.parse(await readFile(path, 'utf8'));
      loaded = { mtimeMs: info.mtimeMs, size: info.size, set: createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]) };
      return loaded;
    } catch (error) {
      throw new KeySetUnavailable(`the JWKS file ${path} is not a JSON Web Key Set: ${describe(error)}`, { cause: error });
    }
  }

  return async (header, token) => {
    const current = await load(false);
    try {
      return await current.set(header, token);
    } catch (error) {
      // A key rotated within the file's mtime resolution: read it once more before refusing.
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      return (await load(true)).set(header, token);
    }
  };
}
