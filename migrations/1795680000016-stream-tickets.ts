import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stream_tickets`: the single-use tickets that let a browser's EventSource, which cannot
 * send `Authorization`, open a live view (POST /stream-tickets, src/auth/stream-tickets.ts).
 * In the database rather than in one process's memory, so that any instance redeems a
 * ticket another issued, and only once. Only a hash of each ticket is stored: reading the
 * table gives nobody a ticket to use.
 */
export class StreamTickets1795680000016 implements MigrationInterface {
  name = 'StreamTickets1795680000016';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stream_tickets (
        hash bytea PRIMARY KEY,
        subject text NOT NULL,
        roles text[] NOT NULL,
        path text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX stream_tickets_expires_at ON stream_tickets (expires_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE stream_tickets');
  }
}
