import { appAs, deliveriesDuringIdleTransactions, quantile } from '../support/never-stall.js';

// Issue 17, "never stall": deposits for 30 s while a transaction that took an id and
// appended nothing stays open in the app's database and in another; every event reaches
// the SSE stream, /notifications and the followers before those transactions end. The
// latencies (deposit answered to SSE event) are reported, not asserted: speed is measured,
// and a bound here would fail on a loaded machine for the wrong reason.
const WRITE_MS = 30_000;

describe.each([
  ['the role that made the database', false],
  ['a role that is no superuser and has no pg_read_all_stats', true],
])('a 30 s idle transaction, with the app connected as %s', (who, ordinary) => {
  let target: Awaited<ReturnType<typeof appAs>>;
  beforeAll(async () => {
    target = await appAs(ordinary, { READY_MAX_FOLLOWER_LAG_SECONDS: '1' });
  });
  afterAll(() => target?.close());

  it('holds back no delivery while it is open', async () => {
    const latencies = await deliveriesDuringIdleTransactions(target, WRITE_MS);
    expect(latencies.length).toBeGreaterThan(0);
    const ms = (share: number) => Math.round(quantile(latencies, share));
    process.stdout.write(
      `never-stall (${who}): ${latencies.length} events, delivery p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, max ${ms(1)} ms\n`,
    );
  }, 120_000);
});
