// The next app process of `npm run start:dev` (scripts/dev.mjs): it loads the app's dependencies
// ahead of time, most of the cost of a start, and runs dist/src/main.js, as built at that
// moment, when the launcher says 'start'. The app's own modules are not loaded before then:
// they are what changes.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/main.js', import.meta.url);
const started = new Promise((resolve) => process.once('message', resolve));

const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const name of Object.keys(dependencies)) {
  // Only a head start: whatever fails to load here fails again, with its error, when the app imports it.
  await import(name).catch(() => undefined);
}

await started;
process.disconnect();
process.argv[1] = fileURLToPath(main);
await import(main.href);
