import config, { common, faultTests } from './jest.config.js';

/** `npm run test:faults`: the slow fault tests (see jest.config.js). */
export default { ...config, projects: [{ ...common, displayName: 'faults', testMatch: faultTests }] };
