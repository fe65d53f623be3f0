/**
 * Encryption at rest for secrets written through the admin API: AES-256-GCM (node:crypto) with a
 * 32-byte key from SWITCHYARD_SECRET_KEY (base64 or hex). A sealed value is one string,
 * `enc:v1:<base64url of iv | tag | ciphertext>`, so it sits where the secret sat in the entity.
 * Every replica needs the same key to compile what another replica stored.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SECRET_KEY_ENV = 'SWITCHYARD_SECRET_KEY';
const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {}

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** How to make a key, for error messages. */
export const SECRET_KEY_HOWTO = `set ${SECRET_KEY_ENV} to 32 random bytes in base64 (openssl rand -base64 32), the same on every replica`;

/** Parses SWITCHYARD_SECRET_KEY; undefined when unset. Throws SecretKeyError when it is malformed. */
export function parseSecretKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(text)) key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (!key || key.length !== 32) {
    throw new SecretKeyError(`${SECRET_KEY_ENV} must be 32 bytes, written as base64 or 64 hex digits (got ${text.length} characters); ${SECRET_KEY_HOWTO}`);
  }
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
    },
    open(sealed) {
      if (!isSealed(sealed)) throw new SecretKeyError('not a sealed value');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError('a stored secret is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretKeyError(`a stored secret cannot be decrypted with this ${SECRET_KEY_ENV}; every replica must use the key the secret was stored with`);
      }
    },
  };
}
