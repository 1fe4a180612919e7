import pg from 'pg';

export default async function globalTeardown() {
  /** @type {{ stop(): Promise<void> }[] | undefined} */
  const servers = Reflect.get(globalThis, 'chronicleTestServers');
  if (servers) {
    await Promise.all(servers.map((server) => server.stop()));
    return;
  }
  // A server of the user's own keeps no template of this run's.
  const admin = new pg.Client({ connectionString: process.env.CHRONICLE_TEST_ADMIN_URLS });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${process.env.CHRONICLE_TEST_TEMPLATE} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
