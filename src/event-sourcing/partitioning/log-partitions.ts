/** The partitioned log: `npm run events:partitions` and the keeper in the running app build on these. */
export { detachPartition, DetachRefusedError } from './detach-partition.js';
export {
  AlreadyPartitionedError,
  DEFAULT_PARTITION_SIZE,
  enablePartitioning,
  type EnablePartitioningOptions,
} from './enable-partitioning.js';
export {
  currentPartition,
  isPartitioned,
  readPartitionedLog as listPartitions,
  type LogPartition,
  type PartitionedLog,
} from './partition-catalog.js';
export { createPartitionsAhead, NotPartitionedError } from './partitions-ahead.js';
