--[[
  promote: move delayed jobs (retry backoff, delayMs/runAt) that are due into the stream.
  Many workers may call it at once: each job is promoted by exactly one (ZREM decides).

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2..]   1 per job:   callback id (read beforehand with ZRANGEBYSCORE delayed -inf now)
  Returns     {promoted, nextDue}: how many this call promoted, and the score of the earliest
              job still delayed (-1 when none)
]]
local promoted = 0
for i = 5, #KEYS do
  local id = ARGV[i - 3]
  if redis.call('ZREM', KEYS[3], id) == 1 and redis.call('HGET', KEYS[i], 'status') == 'accepted' then
    redis.call('HSET', KEYS[i], 'sid', redis.call('XADD', KEYS[1], '*', 'id', id))
    redis.call('HDEL', KEYS[i], 'runAt')
    promoted = promoted + 1
  end
end
local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
return { promoted, first[2] and tonumber(first[2]) or -1 }
