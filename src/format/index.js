// @ts-check
// One place that turns values into text for people, shared by the CLI and the
// dashboard page (served to the browser as `/format/*.js`, unchanged).
export { formatDuration } from './duration.js';
export { formatAgo, formatClock, formatTime } from './time.js';
export { formatCount, formatMetric, formatTick } from './metric.js';
export { formatParam } from './param.js';
export { formatBytes } from './bytes.js';
export { shortParamTitles } from './param-titles.js';
