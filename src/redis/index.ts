export {
  Keys,
  KEY_DOCS,
  CHANNEL_DOCS,
  GROUP,
  JOB_ID_RE,
  MAX_PARTITIONS,
  queuesOfType,
  typeOfQueue,
  TYPE_NAME_RE,
  newJobId,
  queueOfJobId,
} from './keys.js';
export { SCRIPT_NAMES, runScript, scriptSources, type ScriptName } from './scripts.js';
export {
  connectRedis,
  onRedisError,
  isCluster,
  forEachMaster,
  publishCounted,
  DEFAULT_REDIS_URL,
  type ConnectOptions,
} from './connect.js';
export { parseClusterUrl, CLUSTER_SCHEMES, type ClusterTarget } from './cluster-url.js';
export {
  startRedisServer,
  ensureRedisServerBinary,
  freePort,
  type RedisServerHandle,
  type RedisServerOptions,
} from './server.js';
export type { Redis } from 'ioredis';
