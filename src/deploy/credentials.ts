// API tokens and AWS access keys: random, shown once, stored hashed (tokens) or sealed (key
// secrets, which must stay recoverable to check SigV4 signatures).
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** A new API token: `lb_` + 32 random bytes. */
export function newToken(): string {
  return `lb_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key id shaped like AWS's: `AKIA` + 16 upper-case base32 characters. */
export function newAccessKeyId(): string {
  return `AKIA${[...randomBytes(16)].map((byte) => KEY_ALPHABET[byte % 32]).join('')}`;
}

/** A 40-character secret access key, as AWS issues. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

/**
 * The access key an app's functions run with: derived from the master key and the app id, so it
 * needs no storage, never shows in `keys`, and cannot be deleted out from under running code.
 * `ASIA` marks it as a function's key (AWS uses it for temporary credentials).
 */
export function functionCredentials(masterKey: Buffer, appId: string): { accessKeyId: string; secretAccessKey: string } {
  const id = createHmac('sha256', masterKey).update(`function-key-id:${appId}`).digest();
  const secret = createHmac('sha256', masterKey).update(`function-key-secret:${appId}`).digest();
  return {
    accessKeyId: `ASIA${[...id.subarray(0, 16)].map((byte) => KEY_ALPHABET[byte % 32]).join('')}`,
    secretAccessKey: secret.subarray(0, 30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B'),
  };
}
