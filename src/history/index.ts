export { HistoryRecorder, HISTORY_DAYS, MINUTE_MS } from './recorder.js';
export { readHistory, HISTORY_STEPS, type HistoryStep, type HistoryPoint } from './read.js';
export { bucketOf, quantile, BUCKETS_PER_DOUBLING } from './buckets.js';
export { historyRange, MAX_HISTORY_POINTS, type HistoryQuery, type HistoryRange } from './range.js';
export { historyPage, type HistoryPage } from './page.js';
