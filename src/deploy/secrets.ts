// Secrets at rest: AES-256-GCM with one master key per data dir. The key comes from
// LAAMBDA_MASTER_KEY (64 hex or base64 of 32 bytes) or from DATA_DIR/master.key, generated on
// first start with mode 0600. Sealed values are `v1:` + base64(iv | tag | ciphertext).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1:';

export interface Secrets {
  seal(plain: string): string;
  open(sealed: string): string;
}

function parseKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new LaambdaError('ERR_SECRETS_KEY_INVALID', `${origin} must hold 32 bytes as 64 hex or 44 base64 characters`);
  }
  return key;
}

export interface MasterKeyOptions {
  dataDir: string;
  /** LAAMBDA_MASTER_KEY, when set. */
  masterKey?: string | undefined;
}

/** The master key from the variable, else the key file (created with mode 0600 when missing). */
export function loadMasterKey(options: MasterKeyOptions): Buffer {
  if (options.masterKey !== undefined && options.masterKey !== '') return parseKey(options.masterKey, 'LAAMBDA_MASTER_KEY');
  const file = path.join(options.dataDir, 'master.key');
  if (existsSync(file)) return parseKey(readFileSync(file, 'utf8'), file);
  mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

export function createSecrets(key: Buffer): Secrets {
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new LaambdaError('ERR_SECRETS_DECRYPT_FAILED', 'a sealed value has an unknown format');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new LaambdaError('ERR_SECRETS_DECRYPT_FAILED', 'cannot decrypt a stored secret with this master key', { cause: error });
      }
    },
  };
}
