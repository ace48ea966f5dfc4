--[[
  progress: record the progress a running job reported (ctx.progress), if its worker still
  holds it.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per job
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     consumer     the worker's node id
  ARGV[3..]   3 per job:   callback id, attempt, progress (JSON)
  Returns     one integer per job: 1 recorded, 0 not held anymore
]]
local now, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 5, #KEYS do
  local a = 3 + (i - 5) * 3
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts')
  if job[1] == 'pending' and job[2] == consumer and job[3] == ARGV[a + 1] then
    redis.call('HSET', KEYS[i], 'progress', ARGV[a + 2])
    note(KEYS[i], ARGV[a], 'progress', now, { progress = cjson.decode(ARGV[a + 2]) })
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
publish()
return out
