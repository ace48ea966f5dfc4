--[[
  prune-dead: drop from a queue's dead set the letters whose record has expired (or is no
  longer a failed job), so that its size, the metrics and alerts read from it, the dead list
  and "retry all" count only live letters. Records expire deadTtlSec after they failed, in
  the order of the set's scores: the caller passes the oldest ids first and calls again while
  every one of them was pruned.

  KEYS[1]     dead         <prefix>:{<queue>}:dead
  KEYS[2..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV, oldest first
  ARGV[1..]   1 per job:   callback id
  Returns     how many ids were removed from the dead set
]]
local removed = 0
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'status') ~= 'failed' then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i - 1])
  end
end
return removed
