--[[
  claim-webhooks: take the webhooks of a queue that are due, leasing them to the caller so
  no other dispatcher delivers them at the same time.

  KEYS[1]     webhooks     <prefix>:{<queue>}:webhooks
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     leaseMs      how long the caller has to deliver before another may retry
  ARGV[3]     limit        most webhooks to take
  Returns     {ids, nextDue}: the callback ids taken, and the score of the earliest webhook
              still waiting (-1 when none)
]]
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { ids, first[2] and tonumber(first[2]) or -1 }
