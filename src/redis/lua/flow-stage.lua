--[[
  flow-stage: write the records of a flow's nodes of one queue, not runnable yet: no stream
  entry, and an expiry (stageTtlSec), so a submit that dies before its commit leaves nothing
  that runs and nothing that stays. Parents get `waiting` = their number of children.

  Includes    lib/events.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per node, in ARGV order
  KEYS[last]  created      <prefix>:{<queue>}:created (the jobs index: id -> createdAt)
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     type         job type name
  ARGV[3]     acceptedBy   node id of the API process
  ARGV[4]     stageTtlSec  expiry of the staged records until flow-commit
  ARGV[5..]   10 per node: id, data (JSON), resultTtlSec, maxAttempts, opts (JSON), webhook URL
                           ('' = none), parent id ('' = the root), failure policy towards the
                           parent ('' for the root), children ids (JSON array; '' = a leaf),
                           number of children
  Returns     one answer per node: 1 staged, 0 a record with this id exists already (left as
              it is)
]]
local now, jobType, acceptedBy, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local out, created = {}, 0
for i = 5, #KEYS - 1 do
  local a = 5 + (i - 5) * 10
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[#out + 1] = 0
  else
    local id = ARGV[a]
    implicit(id, 1, 'accepted')
    redis.call('HSET', KEYS[i], 'type', jobType, 'data', ARGV[a + 1], 'status', 'accepted',
      'attempts', 0, 'maxAttempts', ARGV[a + 3], 'resultTtlSec', ARGV[a + 2], 'opts', ARGV[a + 4],
      'createdAt', now, 'acceptedBy', acceptedBy, 'ev', 1)
    if ARGV[a + 5] ~= '' then redis.call('HSET', KEYS[i], 'webhook', ARGV[a + 5]) end
    if ARGV[a + 6] ~= '' then
      redis.call('HSET', KEYS[i], 'parent', ARGV[a + 6], 'onFail', ARGV[a + 7])
    end
    if ARGV[a + 8] ~= '' then
      redis.call('HSET', KEYS[i], 'children', ARGV[a + 8], 'waiting', ARGV[a + 9])
    end
    redis.call('EXPIRE', KEYS[i], ttl)
    redis.call('ZADD', KEYS[#KEYS], now, id)
    out[#out + 1] = 1
    created = created + 1
  end
end
if created > 0 then redis.call('HINCRBY', KEYS[2], 'accepted', created) end
publish()
return out
