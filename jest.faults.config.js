import config, { common, withDatabase, faultTests } from './jest.config.js';

/** `npm run test:faults`: the slow fault tests (see jest.config.js). */
export default { ...config, projects: [{ ...common, ...withDatabase, displayName: 'faults', testMatch: faultTests }] };
