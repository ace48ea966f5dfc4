--[[
  progress: record the progress a running job reported (ctx.progress), if its worker still
  holds it.

  Includes    lib/batch.lua, lib/events.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per job
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     consumer     the worker's node id
  ARGV[3..]   3 per job:   callback id, attempt, progress (JSON)
  Returns     one answer per job: 1 recorded, 0 not held anymore, or an error reply for that
              job alone (lib/batch.lua) when its progress is not JSON that Redis can decode (a
              lone surrogate escape such as "\ud800", nesting deeper than 1000)
]]
local now, consumer = ARGV[1], ARGV[2]
local out = {}
local function progress_one(i)
  local a = 3 + (i - 5) * 3
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts')
  if not (job[1] == 'pending' and job[2] == consumer and job[3] == ARGV[a + 1]) then return 0 end
  local ok, value = pcall(cjson.decode, ARGV[a + 2])
  if not ok then error('progress is not JSON that Redis can decode: ' .. tostring(value), 0) end
  -- The event first: encoding it is the last thing that can fail, before any write.
  note(KEYS[i], ARGV[a], 'progress', now, { progress = value })
  redis.call('HSET', KEYS[i], 'progress', ARGV[a + 2])
  return 1
end
for i = 5, #KEYS do
  local ok, answer = pcall(progress_one, i)
  out[i - 4] = ok and answer or item_error(answer)
end
publish()
return out
