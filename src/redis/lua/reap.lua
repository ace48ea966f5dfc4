--[[
  reap: declare gone the nodes whose heartbeat has lapsed. Any node may run it; each lapsed
  node is removed by exactly one caller, which then announces it and hands its jobs back.
  Nobody is reaped within one TTL after the cluster went silent (Redis away or restarted):
  every node first gets the chance to heartbeat again.

  KEYS[1]     members      <prefix>:{_cluster}:members
  KEYS[2]     info         <prefix>:{_cluster}:info
  KEYS[3]     beat         <prefix>:{_cluster}:beat
  KEYS[4]     resumed      <prefix>:{_cluster}:resumed
  ARGV[1]     limit        most nodes to reap in one call
  ARGV[2]     ttlMs        the caller's node TTL
  Returns     flat list: node id, its last info (JSON, or false), ... for each node removed
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if now - tonumber(redis.call('GET', KEYS[3]) or '0') > ttl then
  redis.call('SET', KEYS[4], now)
  return {}
end
if now - tonumber(redis.call('GET', KEYS[4]) or '0') < ttl then return {} end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(lapsed) do
  redis.call('ZREM', KEYS[1], id)
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
end
return out
