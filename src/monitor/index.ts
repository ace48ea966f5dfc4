export { Monitor, type MonitorOptions } from './monitor.js';
export { readClusterSnapshot, type ClusterSnapshot, type QueueFigures } from './snapshot.js';
export type {
  MembershipEntry,
  MonitorSnapshot,
  NodePoint,
  QueueView,
  RecentJob,
  ThroughputPoint,
} from './types.js';
export { CounterRates, percentile } from './rates.js';
