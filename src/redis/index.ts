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
  typeOfJobId,
} from './keys.js';
export {
  SCRIPT_NAMES,
  assembleScript,
  declaredIncludes,
  runScript,
  scriptSources,
  type ScriptName,
} from './scripts.js';
export {
  connectRedis,
  onRedisError,
  isCluster,
  forEachMaster,
  publishCounted,
  DEFAULT_REDIS_URL,
  type ConnectOptions,
} from './connect.js';
export {
  parseRedisUrl,
  parseClusterUrl,
  parseSentinelUrl,
  redactRedisUrl,
  CLUSTER_SCHEMES,
  SENTINEL_SCHEMES,
  REDIS_SCHEMES,
  type RedisTarget,
  type ClusterTarget,
  type SentinelTarget,
} from './redis-url.js';
export { redisOutage, type RedisOutageLog } from './outage-log.js';
export { isRedisUnavailable, redisErrorOf, REDIS_RETRY_AFTER_SEC } from './redis-errors.js';
export {
  startRedisServer,
  ensureRedisServerBinary,
  freePort,
  type RedisServerHandle,
  type RedisServerOptions,
} from './server.js';
export type { Redis } from 'ioredis';
