--[[
  start: record that a worker claimed a batch of stream entries (XREADGROUP or XAUTOCLAIM)
  and hand it the jobs to run.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per claimed entry
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     deadTtlSec   how long a dead letter is kept
  ARGV[5..]   2 per job:   stream entry id, callback id
  Returns     per job: {data, attempt, opts} when the worker must run it (status is now
              `pending`, attempts incremented, workedBy = consumer), or 0 when it must not:
              the job is gone, final, cancelled, or the entry is a stale one (the job was
              requeued under a new entry). A job that already used all its attempts without
              finishing (its workers died running it: a poison job) fails here and goes to the
              dead letters. In every 0 case the entry is acknowledged and deleted.
]]
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local out, failed = {}, 0
for i = 5, #KEYS do
  local a = 5 + (i - 5) * 2
  local sid, id = ARGV[a], ARGV[a + 1]
  local job = redis.call('HMGET', KEYS[i], 'status', 'data', 'sid', 'attempts', 'maxAttempts', 'opts')
  local status = job[1]
  local live = (status == 'accepted' or status == 'pending') and job[3] == sid
  if live and tonumber(job[4]) >= tonumber(job[5]) then
    redis.call('HSET', KEYS[i], 'status', 'failed', 'finishedAt', now, 'error',
      'gave up after ' .. job[4] .. ' attempts that never finished (the worker died running it each time)')
    redis.call('EXPIRE', KEYS[i], deadTtl)
    redis.call('ZADD', KEYS[4], now, id)
    note(KEYS[i], id, 'failed', now, { error = 'attempts used up' })
    final(KEYS[i], id, now)
    failed = failed + 1
    live = false
  end
  if live then
    local attempt = redis.call('HINCRBY', KEYS[i], 'attempts', 1)
    redis.call('HSET', KEYS[i], 'status', 'pending', 'startedAt', now, 'workedBy', consumer)
    note(KEYS[i], id, 'pending', now, { attempt = attempt, worker = consumer })
    out[#out + 1] = { job[2], attempt, job[6] or '{}' }
  else
    redis.call('XACK', KEYS[1], group, sid)
    redis.call('XDEL', KEYS[1], sid)
    out[#out + 1] = 0
  end
end
if failed > 0 then redis.call('HINCRBY', KEYS[2], 'failed', failed) end
publish()
return out
