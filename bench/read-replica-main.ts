import { readReplicaMix, readReplicaSection } from './read-replica.js';

/** `npm run bench:replica [-- --quick]`: only the read-heavy mix of `npm run bench`, without and with a replica. */
console.log(readReplicaSection(await readReplicaMix(process.argv.includes('--quick'))).join('\n'));
