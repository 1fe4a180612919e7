// How long `npm start` takes from the command to its first successful request on a built
// clone: the first start (which initialises the embedded server's data) and then `runs` more
// (5 unless given) on that data. Usage: node scripts/measure-start.mjs [runs] [npm script]
import { performance } from 'node:perf_hooks';
import { appEnv, healthy, median, runScript, scratchDataDir, seconds } from './measure-support.mjs';

const runs = Number(process.argv[2] ?? 5);
const script = process.argv[3] ?? 'start';

const data = scratchDataDir();
const env = await appEnv(data.dir);
const starts = [];
try {
  for (let run = 0; run <= runs; run += 1) {
    const start = performance.now();
    const app = runScript(script, env);
    try {
      await Promise.race([healthy(env.PORT), app.died]);
      starts.push(performance.now() - start);
    } finally {
      await app.stop();
    }
    console.log(`${run === 0 ? 'first start (new data directory)' : `start ${run}`}: ${seconds(starts.at(-1))}`);
  }
  console.log(`npm run ${script}: median first request ${seconds(median(starts.slice(1)))} of ${runs}`);
} finally {
  data.remove();
}
