// API tokens and AWS access keys: random, shown once, stored hashed (tokens) or sealed (key
// secrets, which must stay recoverable to check SigV4 signatures).
import { createHash, randomBytes } from 'node:crypto';

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
