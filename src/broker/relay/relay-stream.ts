import { nanos } from '@nats-io/transport-node';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { BrokerConfig } from '../../config/app-config.js';

/**
 * Creates the relay's stream, or brings an existing one's subjects and duplicate window
 * to the configuration; leaves everything else (retention, replicas) as operators set it.
 * Safe to run from several instances at once.
 */
export async function ensureRelayStream(manager: JetStreamManager, config: BrokerConfig): Promise<void> {
  const wanted = {
    subjects: [`${config.stream}.>`],
    duplicate_window: nanos(config.duplicateWindowSeconds * 1000),
  };
  try {
    const { config: current } = await manager.streams.info(config.stream);
    const same =
      current.duplicate_window === wanted.duplicate_window &&
      current.subjects?.length === 1 &&
      current.subjects[0] === wanted.subjects[0];
    if (!same) await manager.streams.update(config.stream, { ...current, ...wanted });
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await manager.streams.add({
      name: config.stream,
      ...wanted,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
    });
  }
}
