import type { Redis } from 'ioredis';
import type { ClusterNode } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../jobs/index.js';
import type { Monitor } from '../monitor/index.js';
import type { Producer } from '../queue/index.js';
import type { Keys } from '../redis/index.js';

/** What the console's routes share: built once per console server. */
export interface ConsoleContext {
  readonly config: Config;
  readonly monitor: Monitor;
  /** The monitor's cluster node: pings, drains and stops are calls from it. */
  readonly node: ClusterNode;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly producer: Producer;
  readonly registry: JobRegistry;
  /** Longest a request waits for Redis before answering 503. */
  readonly redisTimeoutMs: number;
}
