/** The public library API: explicit named exports. */
export * from './errors.js';
export type * from './config/experiment.js';
export { RUNNER_VERSION } from './version.js';
