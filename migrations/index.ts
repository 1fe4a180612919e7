import { EventStore1795680000000 } from './1795680000000-event-store.js';
import { Followers1795680000001 } from './1795680000001-followers.js';
import { AccountViews1795680000002 } from './1795680000002-account-views.js';
import { Snapshots1795680000003 } from './1795680000003-snapshots.js';
import { PersonalDataKeys1795680000004 } from './1795680000004-personal-data-keys.js';
import { EventMigrations1795680000005 } from './1795680000005-event-migrations.js';
import { StreamIndex1795680000006 } from './1795680000006-stream-index.js';
import { BrokerInbox1795680000007 } from './1795680000007-broker-inbox.js';
import { ReportingViews1795680000008 } from './1795680000008-reporting-views.js';
import { FasterAppend1795680000009 } from './1795680000009-faster-append.js';
import { AppendGroups1795680000010 } from './1795680000010-append-groups.js';
import { AccountOwners1795680000011 } from './1795680000011-account-owners.js';
import { IdempotencyExpiry1795680000012 } from './1795680000012-idempotency-expiry.js';
import { UniqueAcrossPartitions1795680000013 } from './1795680000013-unique-across-partitions.js';
import { HistoryGeneration1795680000014 } from './1795680000014-history-generation.js';
import { FencedLeases1795680000015 } from './1795680000015-fenced-leases.js';
import { StreamTickets1795680000016 } from './1795680000016-stream-tickets.js';
import { AppendsInFlight1795680000017 } from './1795680000017-appends-in-flight.js';

/** Every migration, oldest first. Listed by import rather than a glob so the compiled app, ts tests and the CLI load the same set. */
export const migrations = [
  EventStore1795680000000,
  Followers1795680000001,
  AccountViews1795680000002,
  Snapshots1795680000003,
  PersonalDataKeys1795680000004,
  EventMigrations1795680000005,
  StreamIndex1795680000006,
  BrokerInbox1795680000007,
  ReportingViews1795680000008,
  FasterAppend1795680000009,
  AppendGroups1795680000010,
  AccountOwners1795680000011,
  IdempotencyExpiry1795680000012,
  UniqueAcrossPartitions1795680000013,
  HistoryGeneration1795680000014,
  FencedLeases1795680000015,
  StreamTickets1795680000016,
  AppendsInFlight1795680000017,
];
