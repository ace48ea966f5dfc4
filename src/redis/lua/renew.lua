--[[
  renew: keep a worker's claims on its running jobs alive (reset their idle time), so no
  other worker takes them over while they run.

  Includes    lib/batch.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per running job
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the worker's node id
  ARGV[3..]   2 per job:   stream entry id, attempt
  Returns     one integer per job: 1 still held (claim renewed), 0 lost (taken over by another
              worker, cancelled, or no longer pending): the worker aborts the job. A lost claim
              is never renewed, so a paused worker cannot take a job back. A malformed entry
              id answers an error reply for that job alone (lib/batch.lua).
]]
local group, consumer = ARGV[1], ARGV[2]
local out = {}
local function renew_one(i)
  local a = 3 + (i - 5) * 2
  check_sid(ARGV[a])
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts')
  -- Held means: the record names this claim AND the entry is in this consumer's pending list
  -- (a takeover may have moved it; XCLAIM would silently move it back, or do nothing).
  local owned = #redis.call('XPENDING', KEYS[1], group, ARGV[a], ARGV[a], 1, consumer) == 1
  if owned and job[1] == 'pending' and job[2] == consumer and job[3] == ARGV[a + 1] then
    redis.call('XCLAIM', KEYS[1], group, consumer, 0, ARGV[a], 'JUSTID')
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
for i = 5, #KEYS do
  local ok, e = pcall(renew_one, i)
  if not ok then out[i - 4] = item_error(e) end
end
return out
