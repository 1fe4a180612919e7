import { Logger } from '@nestjs/common';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openBenchDatabase } from './database.js';
import { runTransferMix, TRANSFER_MIX_RATES, transferMixOptions } from './transfer-mix.js';

/**
 * Only the transfer-mix cell (issue 21, "process managers keep up"), printed rather than
 * saved. Built as `npm run bench` builds, then `node dist/bench/transfer-mix-run.js [--quick]
 * [--rate N]`: at that rate only (0: as fast as the app answers); both of the bench's without it.
 */
const usage = (): never => {
  console.error('usage: node dist/bench/transfer-mix-run.js [--quick] [--rate N]');
  process.exit(2);
};
const parse = () => {
  try {
    return parseArgs({ options: { quick: { type: 'boolean' }, rate: { type: 'string' } } }).values;
  } catch {
    return usage();
  }
};
const { quick = false, rate: given } = parse();
const rate = given === undefined ? undefined : Number(given);
if (rate !== undefined && !(Number.isInteger(rate) && rate >= 0)) usage();
Logger.overrideLogger(['warn', 'error']);
const loadAtStart = os.loadavg()[0];
const db = await openBenchDatabase((line) => console.log(line));
try {
  const rates = rate === undefined ? TRANSFER_MIX_RATES : [rate === 0 ? undefined : rate];
  for (const each of rates) {
    const mix = await runTransferMix(db, transferMixOptions(quick, each), (line) => console.log(line));
    console.log(JSON.stringify(mix, null, 2));
  }
  console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`);
} finally {
  await db.close();
}
