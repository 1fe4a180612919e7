import { Logger } from '@nestjs/common';
import os from 'node:os';
import { openBenchDatabase } from './database.js';
import { runTransferMix, TRANSFER_MIX_RATES, transferMixOptions } from './transfer-mix.js';

/**
 * Only the transfer-mix cell (issue 21, "process managers keep up"), printed rather than
 * saved. Built as `npm run bench` builds, then `node dist/bench/transfer-mix-run.js [--quick]
 * [--rate N]`: at that rate only (0: as fast as the app answers); both of the bench's without it.
 */
const args = process.argv.slice(2);
const rateAt = args.indexOf('--rate');
const rate = rateAt >= 0 ? Number(args[rateAt + 1]) : undefined;
const known = args.every((arg, i) => arg === '--quick' || arg === '--rate' || (i === rateAt + 1 && rateAt >= 0));
if (!known || (rateAt >= 0 && !(Number.isInteger(rate) && rate! >= 0))) {
  console.error('usage: node dist/bench/transfer-mix-run.js [--quick] [--rate N]');
  process.exit(2);
}
Logger.overrideLogger(['warn', 'error']);
const loadAtStart = os.loadavg()[0];
const db = await openBenchDatabase((line) => console.log(line));
try {
  const rates = rate === undefined ? TRANSFER_MIX_RATES : [rate === 0 ? undefined : rate];
  for (const each of rates) {
    const mix = await runTransferMix(db, transferMixOptions(args.includes('--quick'), each), (line) =>
      console.log(line),
    );
    console.log(JSON.stringify(mix, null, 2));
  }
  console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`);
} finally {
  await db.close();
}
