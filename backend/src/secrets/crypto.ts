/**
 * The secrets key and the sealed envelope. AES-256-GCM with a fresh 96-bit IV per write; the
 * associated data binds the ciphertext to its format version, so an envelope from another
 * format cannot be replayed as this one. The key file is 32 raw random bytes, mode 0600.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';

export const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // the GCM standard nonce size; random per write (far below the 2^32 writes bound)
const TAG_BYTES = 16; // full-length GCM tag
const ENVELOPE_VERSION = 1;
const AAD = Buffer.from(`paddock-secrets:v${ENVELOPE_VERSION}`);
const KEY_FILE_MODE = 0o600;

export const Envelope = z.object({
  v: z.literal(ENVELOPE_VERSION),
  alg: z.literal('aes-256-gcm'),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});
export type Envelope = z.infer<typeof Envelope>;

export function seal(key: Buffer, plaintext: Buffer): Envelope {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { v: ENVELOPE_VERSION, alg: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Returns null when the key does not open the envelope (wrong key or tampered data). */
export function open(key: Buffer, env: Envelope): Buffer | null {
  try {
    const iv = Buffer.from(env.iv, 'base64');
    const tag = Buffer.from(env.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]);
  } catch {
    return null;
  }
}

/** Reads the key; null when the file does not exist. A key of the wrong size is refused, never replaced. */
export function readKeyFile(path: string): Buffer | null {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PaddockError(ErrorCode.SecretStore, `Cannot read the secrets key ${path} (${(err as Error).message}). Make it readable by the user running paddockd (chmod 600, owned by that user).`);
  }
  if (key.length !== KEY_BYTES) {
    throw new PaddockError(ErrorCode.SecretStore,
      `The secrets key ${path} is ${key.length} bytes, not ${KEY_BYTES}: it is not a Paddock key. Restore the original key file from a backup; Paddock will not overwrite it.`,
      { path });
  }
  // A key readable by others is tightened rather than refused: the content stays untouched.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, KEY_FILE_MODE);
  return key;
}

/** Creates a new random key with O_EXCL, so an existing key file is never replaced. */
export function createKeyFile(path: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = openSync(path, 'wx', KEY_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = readKeyFile(path);
      if (existing) return existing; // created concurrently by another writer: use it
    }
    throw new PaddockError(ErrorCode.SecretStore, `Cannot create the secrets key ${path} (${(err as Error).message}). Check that paddockd's state directory is writable.`);
  }
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}
