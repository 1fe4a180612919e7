// Jest loads this file natively, outside its TypeScript pipeline, hence plain JavaScript.
import { saveCluster } from '../../src/event-sourcing/testing/pglite-cluster.js';

/** The unit tests' global setup: the PGlite cluster their projection specs start from, made once before they run. */
export default saveCluster;
