import { createCipheriv, createDecipheriv, randomBytes, type CipherKey } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

// Nonces drawn from the CSPRNG a thousand at a time: one call per nonce costs more than the encryption.
const NONCES_PER_DRAW = 1024;
let nonces = Buffer.alloc(0);
let nextNonce = 0;

function freshNonce(): Buffer {
  if (nextNonce === nonces.length) {
    nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
    nextNonce = 0;
  }
  nextNonce += NONCE_BYTES;
  return nonces.subarray(nextNonce - NONCE_BYTES, nextNonce);
}

/**
 * AES-256-GCM: `nonce ‖ ciphertext ‖ tag`, with `aad` bound in so that a ciphertext
 * moved to another place (another event, another field) no longer opens. The nonce is
 * random: at 2^32 messages per key the chance of a repeat is still below 2^-32.
 */
export function seal(key: CipherKey, plaintext: Buffer, aad: string): Buffer {
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** @throws Error when the tag does not match: tampered, moved, or sealed with another key. */
export function open(key: CipherKey, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('the ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error('the authentication tag does not match (tampered, moved from another record, or another key)');
  }
}
