--[[
  bury: purge dead letters for good.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV
  ARGV[1..]   1 per job:   callback id
  Returns     one integer per job: 1 purged, 0 not a dead letter
]]
local out = {}
for i = 5, #KEYS do
  if redis.call('ZREM', KEYS[4], ARGV[i - 4]) == 1 then
    redis.call('DEL', KEYS[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
