import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * A login role on the database at `url` that is no superuser and has no pg_read_all_stats,
 * with the rights the app needs on the tables that exist now; `drop` removes it again.
 * Returns the URL to connect as it.
 */
export async function ordinaryRole(admin: pg.Pool, url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const role = `chronicle_app_${randomBytes(4).toString('hex')}`;
  // A password too: the embedded test server asks for one, where the machine's may trust.
  const password = randomBytes(12).toString('hex');
  await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
  await admin.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
  const roleUrl = new URL(url);
  roleUrl.username = role;
  roleUrl.password = password;
  return {
    url: roleUrl.toString(),
    drop: async () => {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    },
  };
}
