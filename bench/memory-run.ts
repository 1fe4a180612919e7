import { Logger } from '@nestjs/common';
import os from 'node:os';
import { openBenchDatabase } from './database.js';
import { memoryOptions, runMemory } from './memory.js';

/**
 * Only the memory workload, printed rather than saved: for work on memory, where the
 * whole benchmark (`npm run bench`) would take minutes to reach it. Built as `npm run bench`
 * builds, then `node --expose-gc dist/bench/memory-run.js [--quick]`.
 */
const args = process.argv.slice(2);
if (args.some((arg) => arg !== '--quick')) {
  console.error('usage: node --expose-gc dist/bench/memory-run.js [--quick]');
  process.exit(2);
}
Logger.overrideLogger(['warn', 'error']);
const loadAtStart = os.loadavg()[0];
const db = await openBenchDatabase((line) => console.log(line));
try {
  const memory = await runMemory(db, memoryOptions(args.includes('--quick')), (line) => console.log(line));
  console.log(JSON.stringify(memory, null, 2));
  console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`);
} finally {
  await db.close();
}
