import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The history generation: a counter that every rewrite of stored events (`events:migrate`
 * in place, its `--swap`, `reencode`) moves on in the transaction that rewrites them, so
 * that a state built from events since rewritten is known stale wherever it is kept
 * (docs/ARCHITECTURE.md, "The write path": a rewrite of history).
 *
 * - `history_generation`: its one row.
 * - `snapshots.generation`: the generation of the events a snapshot's state was built
 *   from; loads only use snapshots of the current one. Those stored before are of generation 0.
 * - `chronicle_history_generation()`: the generation as an append sees it. It takes ROW
 *   EXCLUSIVE on `history_generation` first and reads the row after that, in a statement of
 *   its own (a fresh snapshot): a rewrite takes SHARE ROW EXCLUSIVE on the table before it
 *   moves the counter, so it waits for every append that read the old generation to commit,
 *   and every append that comes after waits for it and reads the new one. So an append
 *   decided on the old history either commits before the rewrite or is refused. The lock
 *   is a relation lock (PostgreSQL's fast path between appends, which never conflict with
 *   each other) and assigns no transaction id, so the log's ordering rule holds.
 *
 * The append functions are unchanged: the store's appending statement calls this one
 * beside them, as it reads the personal-data key.
 */
export class HistoryGeneration1795680000014 implements MigrationInterface {
  name = 'HistoryGeneration1795680000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE history_generation (
        one_row    boolean PRIMARY KEY DEFAULT true CHECK (one_row),
        generation bigint  NOT NULL DEFAULT 0
      )`);
    await queryRunner.query('INSERT INTO history_generation DEFAULT VALUES');
    await queryRunner.query('ALTER TABLE snapshots ADD COLUMN generation bigint NOT NULL DEFAULT 0');
    await queryRunner.query(`
      CREATE FUNCTION chronicle_history_generation() RETURNS bigint
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_generation bigint;
      BEGIN
        LOCK TABLE history_generation IN ROW EXCLUSIVE MODE;
        SELECT generation INTO v_generation FROM history_generation;
        RETURN v_generation;
      END
      $fn$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION chronicle_history_generation()');
    await queryRunner.query('ALTER TABLE snapshots DROP COLUMN generation');
    await queryRunner.query('DROP TABLE history_generation');
  }
}
