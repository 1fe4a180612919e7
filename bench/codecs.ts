import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { PersonalDataKeys, PayloadEventCodec, PayloadCodec } from '#event-sourcing';

const BENCH_KEY = { id: 'bench', key: randomBytes(32) };

/**
 * The codec the app runs with: personal fields (the Account owner) sealed per subject,
 * and with `encrypted` every payload sealed with AES-256-GCM as EVENT_ENCRYPTION_KEYS does.
 */
export function appCodec(pool: pg.Pool, encrypted: boolean): PayloadCodec {
  return new PayloadCodec(new PersonalDataKeys(pool), encrypted ? { encryptionKeys: [BENCH_KEY] } : {});
}

export const appEventCodec = (pool: pg.Pool, encrypted: boolean) => new PayloadEventCodec(appCodec(pool, encrypted));
