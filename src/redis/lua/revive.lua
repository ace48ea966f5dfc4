--[[
  revive: retry dead letters: each job goes back to the queue with a fresh set of attempts.

  Includes    lib/events.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV
  KEYS[last]  webhooks     <prefix>:{<queue>}:webhooks
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2..]   1 per job:   callback id
  Returns     one integer per job: 1 requeued, 0 not a dead letter (or its record expired:
              its entry in the dead set is removed)
]]
local out = {}
for i = 5, #KEYS - 1 do
  local id = ARGV[i - 3]
  local removed = redis.call('ZREM', KEYS[4], id)
  if removed == 1 and redis.call('HGET', KEYS[i], 'status') == 'failed' then
    redis.call('PERSIST', KEYS[i])
    redis.call('HSET', KEYS[i], 'status', 'accepted', 'attempts', 0,
      'sid', redis.call('XADD', KEYS[1], '*', 'id', id))
    redis.call('HDEL', KEYS[i], 'finishedAt', 'value', 'runAt', 'workedBy',
      'webhookStatus', 'webhookAttempts', 'webhookError')
    -- A retry of its webhook still scheduled would post a non-final status: the job's next
    -- final state schedules a fresh one.
    redis.call('ZREM', KEYS[#KEYS], id)
    note(KEYS[i], id, 'accepted', ARGV[1], { revived = true })
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
publish()
return out
