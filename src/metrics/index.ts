export { Metrics, type ScrapeSources, type JobTotals } from './metrics.js';
export { startMetricsServer, type MetricsServer } from './http.js';
export { redisSources } from './sources.js';
