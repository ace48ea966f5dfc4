--[[
  finish: write the outcome of a batch of jobs a worker ran, if it still holds them.

  KEYS[1]     stream       <prefix>:{<queue>}:stream
  KEYS[2]     stats        <prefix>:{<queue>}:stats
  KEYS[3..]   job          <prefix>:{<queue>}:job:<id>, one per job
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4..]   4 per job:   stream entry id, attempt, outcome (`done` | `failed`),
                           payload (the value as JSON for done, the error message for failed)
  Returns     one integer per job: 1 written, 0 refused because the worker no longer holds
              the job (another worker took it over, or it is final already)

  A held job gets its outcome, `finishedAt`, and an expiry of its resultTtlSec; its stream
  entry is acknowledged and deleted.
]]
local now, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local out, done, failed = {}, 0, 0
for i = 3, #KEYS do
  local a = 4 + (i - 3) * 4
  local outcome = ARGV[a + 2]
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts', 'resultTtlSec')
  if job[1] == 'pending' and job[2] == consumer and job[3] == ARGV[a + 1] then
    if outcome == 'done' then
      redis.call('HSET', KEYS[i], 'status', 'done', 'value', ARGV[a + 3], 'finishedAt', now)
      done = done + 1
    else
      redis.call('HSET', KEYS[i], 'status', 'failed', 'error', ARGV[a + 3], 'finishedAt', now)
      failed = failed + 1
    end
    redis.call('EXPIRE', KEYS[i], job[4])
    redis.call('XACK', KEYS[1], group, ARGV[a])
    redis.call('XDEL', KEYS[1], ARGV[a])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if done > 0 then redis.call('HINCRBY', KEYS[2], 'done', done) end
if failed > 0 then redis.call('HINCRBY', KEYS[2], 'failed', failed) end
return out
