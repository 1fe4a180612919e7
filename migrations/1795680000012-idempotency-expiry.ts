import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency records now expire (`IDEMPOTENCY_KEY_TTL`): the sweeper deletes those older
 * than the TTL in batches, found by `recorded_at`, which every record has had since
 * 1795680000000. The append functions are unchanged: they already stamp it.
 *
 * Not CONCURRENTLY, for the reasons given in 1795680000006: appends that store a key wait
 * while it is built. On a large `idempotency_keys` table, build it by hand with CREATE
 * INDEX CONCURRENTLY beforehand (docs/OPERATIONS.md): this then finds it.
 */
export class IdempotencyExpiry1795680000012 implements MigrationInterface {
  name = 'IdempotencyExpiry1795680000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('SET LOCAL statement_timeout = 0');
    await queryRunner.query(
      'CREATE INDEX IF NOT EXISTS idempotency_keys_recorded_at ON idempotency_keys (recorded_at)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX idempotency_keys_recorded_at');
  }
}
