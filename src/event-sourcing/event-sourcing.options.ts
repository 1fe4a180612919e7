import type { FollowersConfig } from './subscriptions/followers.service.js';

export interface EventSourcingOptions {
  /** How often a command is tried again on fresh state after a concurrency conflict. */
  commandRetries: number;
  followers: FollowersConfig;
  /** How long /notifications/stream stays silent before it sends a heartbeat comment. */
  sseHeartbeatMs: number;
}

export const EVENT_SOURCING_OPTIONS = Symbol('EventSourcingOptions');
