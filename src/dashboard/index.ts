/**
 * The live dashboard: a `node:http` request handler (JSON API, server-sent
 * events, the page) over a read-only run store, and a server around it.
 */
export {
  createDashboard,
  type DashboardHandler,
  type DashboardOptions,
} from './create-dashboard.js';
export {
  startDashboard,
  type RunningDashboard,
  type StartDashboardOptions,
} from './start-dashboard.js';
export type { StoreProvider } from './store-source.js';
