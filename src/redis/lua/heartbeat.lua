--[[
  heartbeat: register a node, or refresh its registration and figures.

  KEYS[1]     members      <prefix>:{_cluster}:members
  KEYS[2]     info         <prefix>:{_cluster}:info
  KEYS[3]     beat         <prefix>:{_cluster}:beat      (Redis time of the last heartbeat of any node)
  KEYS[4]     resumed      <prefix>:{_cluster}:resumed   (Redis time the cluster was last heard after a silence)
  ARGV[1]     node id
  ARGV[2]     info         the node's info and figures, JSON
  ARGV[3]     ttlMs        how long the registration lives without another heartbeat
  Returns     {joined, nowMs}: joined is 1 when the node was not a member (first heartbeat, or
              back after being declared gone), else 0; nowMs is the Redis clock
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
-- No heartbeat from anyone for a TTL: Redis was away (or every node). Mark the resumption, so
-- nodes get one TTL to come back before anyone is declared gone.
if now - tonumber(redis.call('GET', KEYS[3]) or '0') > ttl then redis.call('SET', KEYS[4], now) end
redis.call('SET', KEYS[3], now)
local joined = redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return { joined, now }
