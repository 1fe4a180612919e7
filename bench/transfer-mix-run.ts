import { Logger } from '@nestjs/common';
import os from 'node:os';
import { openBenchDatabase } from './database.js';
import { runTransferMix, transferMixOptions } from './transfer-mix.js';

/**
 * Only the transfer-mix cell (issue 21, "process managers keep up"), printed rather than
 * saved. Built as `npm run bench` builds, then `node dist/bench/transfer-mix-run.js [--quick]`.
 */
const args = process.argv.slice(2);
if (args.some((arg) => arg !== '--quick')) {
  console.error('usage: node dist/bench/transfer-mix-run.js [--quick]');
  process.exit(2);
}
Logger.overrideLogger(['warn', 'error']);
const loadAtStart = os.loadavg()[0];
const db = await openBenchDatabase((line) => console.log(line));
try {
  const mix = await runTransferMix(db, transferMixOptions(args.includes('--quick')), (line) => console.log(line));
  console.log(JSON.stringify(mix, null, 2));
  console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`);
} finally {
  await db.close();
}
