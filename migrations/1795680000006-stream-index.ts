import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index entry per stream (its first event), in byte order of the stream id: the
 * event explorer's search by id prefix and stream type, its keyset pages and its
 * streams-per-type counts read only this index. Byte order ("C") because a prefix is a
 * range only there: under a language collation such as en_US, `LIKE 'ab%'` cannot use a
 * b-tree. Measured on 1,000,000 events in 200,000 streams (PostgreSQL 15): a prefix
 * search from 154-205 ms (sequential scan) to 0.1-0.3 ms (4 ms for the explorer's page of
 * 50 with each stream's last version), a rare type's page from 189 to 11 ms, a substring
 * search from 168 to 49 ms; the counts stay one pass over the streams (190 ms). The index
 * holds 13 MB there, against 83 MB for (stream_id, version).
 *
 * Not CONCURRENTLY: that waits for every transaction older than itself, and instances
 * starting together wait for the migration lock in one (src/database/open-data-source.ts),
 * so neither would move. Appends wait while it is built (about 1 s per million events
 * there), so the statement timeout is lifted for it. On a long log, build it by hand with
 * CREATE INDEX CONCURRENTLY beforehand (docs/OPERATIONS.md): this then finds it.
 */
export class StreamIndex1795680000006 implements MigrationInterface {
  name = 'StreamIndex1795680000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('SET LOCAL statement_timeout = 0');
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS events_stream_search
          ON events (stream_id COLLATE "C", stream_type) WHERE version = 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX events_stream_search');
  }
}
