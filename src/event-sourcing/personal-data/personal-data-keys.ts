import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { KEY_BYTES } from '../serialization/aes-gcm.js';
import { BatchedReads } from '../store/batched-reads.js';

/** A data subject's key, or `null` once the subject's personal data was erased. */
export type SubjectKeys = Map<string, Buffer | null>;

const FIND = {
  name: 'chronicle_find_subject_keys',
  text: 'SELECT subject_id, key FROM personal_data_keys WHERE subject_id = ANY($1)',
};
const CREATE = {
  name: 'chronicle_create_subject_keys',
  text: `INSERT INTO personal_data_keys (subject_id, key)
         SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (subject_id) DO NOTHING`,
};
const ERASE = {
  name: 'chronicle_erase_subject_key',
  text: `INSERT INTO personal_data_keys (subject_id, key, erased_at) VALUES ($1, NULL, now())
         ON CONFLICT (subject_id) DO UPDATE SET key = NULL, erased_at = coalesce(personal_data_keys.erased_at, now())
         RETURNING erased_at`,
};

/**
 * One AES key per data subject in `personal_data_keys`, kept apart from the events they
 * encrypt: destroying a subject's key makes its personal fields unreadable everywhere
 * they were stored (crypto-shredding), while the rest of every event stays as it was.
 */
export class PersonalDataKeys {
  private readonly lookups = new BatchedReads((subjects) => this.query(subjects));

  constructor(private readonly pool: Pool) {}

  /**
   * The keys of these subjects, as far as they have one (or had one: then `null`).
   * Every command that loads personal data asks here, so under load lookups made while
   * one is in flight share the next query: fewer round trips, and still never a key
   * read before the call (an erasure that returned is always seen).
   */
  async find(subjects: readonly string[]): Promise<SubjectKeys> {
    const found = await this.lookups.of(subjects);
    return new Map(subjects.filter((s) => found.has(s)).map((s) => [s, found.get(s)!]));
  }

  private async query(subjects: string[]): Promise<SubjectKeys> {
    const { rows } = await this.pool.query({ ...FIND, values: [subjects] });
    return new Map(rows.map((row) => [row.subject_id as string, row.key as Buffer | null]));
  }

  /** The keys of these subjects, created for those that have none yet. */
  async obtain(subjects: readonly string[]): Promise<SubjectKeys> {
    const wanted = [...new Set(subjects)];
    const keys = await this.find(wanted);
    const missing = wanted.filter((subject) => !keys.has(subject));
    if (missing.length === 0) return keys;
    await this.pool.query({ ...CREATE, values: [missing, missing.map(() => randomBytes(KEY_BYTES))] });
    // A concurrent writer may have created some of them first: read what won.
    for (const [subject, key] of await this.find(missing)) keys.set(subject, key);
    return keys;
  }

  /**
   * Destroys the subject's key for good; later personal data of the subject is not
   * stored at all. Returns when the subject's data was (first) erased.
   */
  async erase(subject: string): Promise<Date> {
    const { rows } = await this.pool.query({ ...ERASE, values: [subject] });
    // The old row version still holds the key until VACUUM removes it; don't wait for autovacuum.
    // Best effort: the key is already unreachable, and autovacuum still comes later.
    await this.pool.query('VACUUM personal_data_keys').catch(() => undefined);
    return rows[0].erased_at;
  }
}
