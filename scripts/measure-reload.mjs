// How long `npm run start:dev` takes to reload: from saving a source file to the first
// successful request to the app that restarted with it, `runs` times (5 unless given), a few
// seconds apart as when someone edits. Each save adds a line to src/app.setup.ts (a change to
// the compiled code: an unchanged file restarts nothing under `nest start --watch`); the
// file is put back at the end. Usage: node scripts/measure-reload.mjs [runs] [npm script]
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { appEnv, healthy, median, runScript, scratchDataDir, seconds } from './measure-support.mjs';

const runs = Number(process.argv[2] ?? 5);
const script = process.argv[3] ?? 'start:dev';
const saved = new URL('../src/app.setup.ts', import.meta.url);
const original = readFileSync(saved);
const putBack = () => writeFileSync(saved, original);
process.once('SIGINT', () => {
  putBack();
  process.exit(130);
});
const EDITING_MS = 5_000;

const data = scratchDataDir();
const env = await appEnv(data.dir);
const app = runScript(script, env);
try {
  await app.listens(1);
  await healthy(env.PORT);
  const reloads = [];
  for (let run = 1; run <= runs; run += 1) {
    await sleep(EDITING_MS);
    const start = performance.now();
    writeFileSync(saved, `${original}export const measuredReload = ${run};\n`);
    await app.listens(run + 1);
    await healthy(env.PORT);
    reloads.push(performance.now() - start);
    console.log(`reload ${run}: ${seconds(reloads.at(-1))}`);
  }
  console.log(`npm run ${script}: median reload ${seconds(median(reloads))} of ${runs}`);
} finally {
  putBack();
  await app.stop();
  data.remove();
}
