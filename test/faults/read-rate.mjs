// The other client of stream-fan-out.e2e-spec.ts, in a process of its own so that the 600
// streams the test holds do not share its event loop: `node read-rate.mjs <app url> <path>
// <requests> <concurrency> <deadline (epoch ms)>` reads `path` that many times, that many at a
// time (stopping early at the deadline), and prints the requests per second.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [base, path, requests, concurrency, deadline] = process.argv.slice(2);
const url = new URL(base);
const agent = new Agent({ keepAlive: true, maxSockets: Number(concurrency) });

const read = () =>
  new Promise((resolve, reject) => {
    const call = request({ host: url.hostname, port: url.port, path, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    call.on('error', reject);
    call.end();
  });

let sent = 0;
let done = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (sent < Number(requests) && Date.now() < Number(deadline)) {
      sent++;
      const status = await read();
      if (status !== 200) throw new Error(`GET ${path} answered ${status}`);
      done++;
    }
  }),
);
agent.destroy();
process.stdout.write(String((done * 1000) / (performance.now() - started)));
