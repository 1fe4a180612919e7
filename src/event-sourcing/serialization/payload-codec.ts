import { createSecretKey, type KeyObject } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { PersonalDataKeys, SubjectKeys } from '../personal-data/personal-data-keys.js';
import type { PersonalFields } from '../domain/personal-fields.js';
import { open, seal } from './aes-gcm.js';

/** Data on its way into or out of a jsonb column, with what binds it to its place. */
export interface Payload {
  /** Bound into every ciphertext, so that one copied elsewhere no longer decrypts. */
  aad: string;
  /** The data subject the personal fields belong to. */
  subject: string;
  personal?: PersonalFields;
  data: Record<string, unknown>;
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface PayloadCodecOptions {
  /** Keys for whole payloads, newest last: new payloads are sealed with the newest, older ones still open. */
  encryptionKeys?: readonly EncryptionKey[];
  /** Payloads whose JSON has at least this many bytes are deflated first; 0 or absent: never. */
  compressAbove?: number;
}

/** Which payload of a batch could not be decoded, and why. */
export class PayloadDecodeError extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(reason);
  }
}

// Marks a stored object as an envelope rather than data; a domain field never starts with `$`.
const ENCODED = '$encoded';
const PERSONAL = '$personal';

interface Envelope {
  [ENCODED]: string;
  key?: string;
  payload: string;
}

const isPersonalEnvelope = (value: unknown): value is { [PERSONAL]: string } =>
  typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[PERSONAL] === 'string';

const hasPersonalData = (payload: Payload): boolean =>
  payload.personal !== undefined && Object.keys(payload.personal).some((field) => payload.data[field] !== undefined);

/**
 * Encodes data for storage in three optional layers, and decodes it back:
 * 1. personal fields sealed each with its subject's key (when the type declares any),
 * 2. the whole JSON deflated when large (when configured),
 * 3. the whole sealed with the newest configured key, whose id is stored beside it.
 * Without compression and encryption the stored value stays plain JSON that SQL can read.
 */
export class PayloadCodec {
  // Key objects: Node imports a raw key again on every cipher it is given to.
  private readonly keysById: Map<string, KeyObject>;
  private readonly newestKey?: { id: string; key: KeyObject };
  private readonly compressAbove: number;

  constructor(
    private readonly subjectKeys: PersonalDataKeys,
    options: PayloadCodecOptions = {},
  ) {
    const keys = options.encryptionKeys ?? [];
    this.keysById = new Map(keys.map(({ id, key }) => [id, createSecretKey(key)]));
    const newest = keys.at(-1);
    if (newest) this.newestKey = { id: newest.id, key: this.keysById.get(newest.id)! };
    this.compressAbove = options.compressAbove ?? 0;
  }

  async encode(payloads: readonly Payload[]): Promise<Record<string, unknown>[]> {
    const personal = payloads.filter(hasPersonalData);
    const keys = personal.length > 0 ? await this.subjectKeys.obtain(personal.map((p) => p.subject)) : undefined;
    return payloads.map((payload) => this.wrap(payload, keys ? this.sealPersonal(payload, keys) : payload.data));
  }

  /**
   * @param keys the keys of every subject among the payloads, read with them (a subject
   *   missing has no key): no lookup is made. Never keys kept from an earlier read, which
   *   would outlive an erasure.
   * @throws PayloadDecodeError naming the first payload that does not decode
   */
  async decode(payloads: readonly Payload[], keys?: SubjectKeys): Promise<Record<string, unknown>[]> {
    const data = payloads.map((payload, index) => this.unwrap(payload, index));
    // Only types that declare personal fields get a second look: the plain read path stays allocation-free.
    const personal: (Payload & { index: number })[] = [];
    payloads.forEach((payload, index) => {
      if (payload.personal === undefined) return;
      const decoded = { ...payload, data: data[index], index };
      if (hasPersonalData(decoded)) personal.push(decoded);
    });
    if (personal.length === 0) return data;
    const found = keys ?? (await this.subjectKeys.find(personal.map((p) => p.subject)));
    for (const payload of personal) data[payload.index] = this.openPersonal(payload, found);
    return data;
  }

  private sealPersonal(payload: Payload, keys: SubjectKeys): Record<string, unknown> {
    if (!hasPersonalData(payload)) return payload.data;
    const key = keys.get(payload.subject);
    const data = { ...payload.data };
    for (const [field, erased] of Object.entries(payload.personal!)) {
      if (data[field] === undefined) continue;
      // An erased subject's personal data is never stored again.
      data[field] = key
        ? {
            [PERSONAL]: seal(key, Buffer.from(JSON.stringify(data[field])), `${payload.aad}/${field}`).toString(
              'base64',
            ),
          }
        : erased;
    }
    return data;
  }

  private openPersonal(payload: Payload & { index: number }, keys: SubjectKeys): Record<string, unknown> {
    const key = keys.get(payload.subject);
    const data = { ...payload.data };
    for (const [field, erased] of Object.entries(payload.personal!)) {
      const value = data[field];
      if (value === undefined) continue;
      // Stored before the field was declared personal: plain, and hidden once the subject is erased.
      if (!isPersonalEnvelope(value)) {
        if (key === null) data[field] = erased;
        continue;
      }
      // No key, no data: an erased subject's fields read as erased wherever they were stored.
      if (!key) {
        data[field] = erased;
        continue;
      }
      try {
        data[field] = JSON.parse(
          open(key, Buffer.from(value[PERSONAL], 'base64'), `${payload.aad}/${field}`).toString(),
        );
      } catch (error) {
        throw new PayloadDecodeError(payload.index, `its personal field "${field}" does not decrypt: ${reason(error)}`);
      }
    }
    return data;
  }

  private wrap(payload: Payload, data: Record<string, unknown>): Record<string, unknown> {
    if (this.compressAbove === 0 && !this.newestKey) return data;
    let body: Buffer = Buffer.from(JSON.stringify(data));
    const encodings: string[] = [];
    if (this.compressAbove > 0 && body.length >= this.compressAbove) {
      body = deflateRawSync(body);
      encodings.push('deflate');
    }
    if (this.newestKey) {
      body = seal(this.newestKey.key, body, payload.aad);
      encodings.push('aes-256-gcm');
    }
    if (encodings.length === 0) return data;
    const envelope: Envelope = { [ENCODED]: encodings.join('+'), payload: body.toString('base64') };
    if (this.newestKey) envelope.key = this.newestKey.id;
    return envelope as unknown as Record<string, unknown>;
  }

  private unwrap(payload: Payload, index: number): Record<string, unknown> {
    const envelope = payload.data as unknown as Partial<Envelope>;
    const encoding = envelope[ENCODED];
    if (encoding === undefined) return payload.data;
    try {
      let body: Buffer = Buffer.from(envelope.payload ?? '', 'base64');
      for (const step of encoding.split('+').reverse()) {
        if (step === 'aes-256-gcm') {
          const key = this.keysById.get(envelope.key ?? '');
          if (!key) throw new Error(`it is encrypted with key "${envelope.key}", which is not configured`);
          body = open(key, body, payload.aad);
        } else if (step === 'deflate') {
          body = inflateRawSync(body);
        } else {
          throw new Error(`its encoding "${step}" is unknown`);
        }
      }
      return JSON.parse(body.toString()) as Record<string, unknown>;
    } catch (error) {
      throw new PayloadDecodeError(index, `its payload does not decode: ${reason(error)}`);
    }
  }
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
