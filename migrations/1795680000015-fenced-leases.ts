import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fenced follower leases (src/event-sourcing/subscriptions/follower-leases.ts).
 *
 * `followers.lease_token` is set from the sequence `follower_lease_tokens` each time an
 * instance takes a follower's lease; the holder's checkpoint moves carry the token they
 * were taken with and are refused once the row has a newer one, so a holder that lost
 * its lease while it was stopped cannot move the checkpoint, nor commit the batch written
 * in the same transaction, once it runs again. A sequence rather than a count per row: a
 * checkpoint deleted and created again (at 0) still refuses every token taken before.
 *
 * `follower_lease_sessions` has a row per lease session (the connection that holds an
 * instance's leases as advisory locks), renewed by its holder: another instance ends a
 * session whose row has expired, which frees its leases. `backend_start` tells the
 * session apart from a later one given the same pid.
 */
export class FencedLeases1795680000015 implements MigrationInterface {
  name = 'FencedLeases1795680000015';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SEQUENCE follower_lease_tokens');
    await queryRunner.query('ALTER TABLE followers ADD COLUMN lease_token bigint NOT NULL DEFAULT 0');
    await queryRunner.query(`
      CREATE TABLE follower_lease_sessions (
        pid           integer     PRIMARY KEY,
        backend_start timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE follower_lease_sessions');
    await queryRunner.query('ALTER TABLE followers DROP COLUMN lease_token');
    await queryRunner.query('DROP SEQUENCE follower_lease_tokens');
  }
}
