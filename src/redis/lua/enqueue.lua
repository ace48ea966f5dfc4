--[[
  enqueue: add a batch of new jobs to one queue.

  KEYS[1]     stream       <prefix>:{<queue>}:stream
  KEYS[2]     stats        <prefix>:{<queue>}:stats
  KEYS[3..]   job          <prefix>:{<queue>}:job:<id>, one per job, in ARGV order
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     type         job type name
  ARGV[3]     acceptedBy   node id of the API process
  ARGV[4..]   4 per job:   id, data (JSON), resultTtlSec, maxAttempts
  Returns     one integer per job: 1 created, 0 a job with this id exists already
              (a resent enqueue never creates a second job)
]]
local now, jobType, acceptedBy = ARGV[1], ARGV[2], ARGV[3]
local out, created = {}, 0
for i = 3, #KEYS do
  local a = 4 + (i - 3) * 4
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[#out + 1] = 0
  else
    local sid = redis.call('XADD', KEYS[1], '*', 'id', ARGV[a])
    redis.call('HSET', KEYS[i], 'type', jobType, 'data', ARGV[a + 1], 'status', 'accepted',
      'attempts', 0, 'maxAttempts', ARGV[a + 3], 'resultTtlSec', ARGV[a + 2],
      'createdAt', now, 'acceptedBy', acceptedBy, 'sid', sid)
    out[#out + 1] = 1
    created = created + 1
  end
end
if created > 0 then redis.call('HINCRBY', KEYS[2], 'accepted', created) end
return out
