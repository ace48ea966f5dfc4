--[[
  cancel: cancel one job.

  Includes    lib/events.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     job          <prefix>:{<queue>}:job:<id>
  KEYS[6]     webhooks     <prefix>:{<queue>}:webhooks
  KEYS[7]     notify       <prefix>:{<queue>}:notify      (lib/events.lua final())
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     id           callback id
  Returns     {outcome, workedBy}: outcome `cancelled` (it was queued or delayed: it will
              never run), `running` (a worker holds it: it is now `cancelled`, the worker's
              result will be refused, and workedBy says whom to tell to abort it),
              `final` (done or failed already: nothing changed) or `missing`

  A cancelled job keeps its record for resultTtlSec.
]]
local now, group, id = ARGV[1], ARGV[2], ARGV[3]
local job = redis.call('HMGET', KEYS[5], 'status', 'sid', 'workedBy', 'resultTtlSec')
local status = job[1]
if not status then return { 'missing', false } end
if status ~= 'accepted' and status ~= 'pending' then return { 'final', false } end
redis.call('HSET', KEYS[5], 'status', 'cancelled', 'finishedAt', now)
redis.call('EXPIRE', KEYS[5], job[4])
redis.call('HINCRBY', KEYS[2], 'cancelled', 1)
note(KEYS[5], id, 'cancelled', now)
final(KEYS[5], id, now)
publish()
if status == 'pending' then return { 'running', job[3] } end
redis.call('ZREM', KEYS[3], id)
if job[2] then
  redis.call('XACK', KEYS[1], group, job[2])
  redis.call('XDEL', KEYS[1], job[2])
end
return { 'cancelled', false }
