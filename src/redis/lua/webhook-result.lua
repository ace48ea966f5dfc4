--[[
  webhook-result: record the outcome of one webhook delivery attempt, without ever
  recreating a job record that expired meanwhile.

  KEYS[1]     webhooks     <prefix>:{<queue>}:webhooks
  KEYS[2]     job          <prefix>:{<queue>}:job:<id>
  ARGV[1]     id           callback id
  ARGV[2]     outcome      `delivered`, `retry` or `failed` (given up)
  ARGV[3]     attempt      the attempt number just made
  ARGV[4]     retryAt      for `retry`: when to try again (ms since the epoch)
  ARGV[5]     error        why it failed ('' when delivered)
  Returns     1 recorded, 0 the job record is gone (its webhook is dropped)
]]
local id, outcome = ARGV[1], ARGV[2]
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], id)
  return 0
end
redis.call('HSET', KEYS[2], 'webhookAttempts', ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'webhookError', ARGV[5]) end
if outcome == 'retry' then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), id)
else
  redis.call('ZREM', KEYS[1], id)
  redis.call('HSET', KEYS[2], 'webhookStatus', outcome)
end
return 1
