--[[
  start: record that a worker claimed a batch of stream entries (XREADGROUP or XAUTOCLAIM)
  and hand it the jobs to run.

  KEYS[1]     stream       <prefix>:{<queue>}:stream
  KEYS[2..]   job          <prefix>:{<queue>}:job:<id>, one per claimed entry
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4..]   1 per job:   stream entry id
  Returns     per job: {data, attempt} when the worker must run it (status is now
              `pending`, attempts incremented, workedBy = consumer), or 0 when the job is
              gone or already final: its entry is acknowledged and deleted.
]]
local now, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for i = 2, #KEYS do
  local sid = ARGV[i + 2]
  local job = redis.call('HMGET', KEYS[i], 'status', 'data')
  local status = job[1]
  if status == 'accepted' or status == 'pending' then
    local attempt = redis.call('HINCRBY', KEYS[i], 'attempts', 1)
    redis.call('HSET', KEYS[i], 'status', 'pending', 'startedAt', now, 'workedBy', consumer)
    out[#out + 1] = { job[2], attempt }
  else
    redis.call('XACK', KEYS[1], group, sid)
    redis.call('XDEL', KEYS[1], sid)
    out[#out + 1] = 0
  end
end
return out
