--[[
  prune-index: drop from a queue's jobs index the ids whose record is gone (expired, purged).
  Called by a listing for the ids it found missing, and by the workers' trim for a slice of
  the index at a time.

  KEYS[1]     created      <prefix>:{<queue>}:created
  KEYS[2..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV
  ARGV[1..]   1 per job:   callback id
  Returns     how many ids were removed from the index
]]
local removed = 0
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i - 1])
  end
end
return removed
