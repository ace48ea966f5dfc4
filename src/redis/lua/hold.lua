--[[
  hold: a handler asked to be held back (RetryAfterError: an outside service answered 429):
  its job goes back to wait without using an attempt, and its type, or its group, is held
  back on this queue until `until`. Called without a job for the other partitions of the
  type, to hold them too.

  Includes    lib/events.lua, lib/controls.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     controls     <prefix>:{<queue>}:controls
  KEYS[6]     waiting      <prefix>:{<queue>}:waiting
  KEYS[7]     hold         `<prefix>:{<queue>}:g:<group>:hold` for scope `group`, else the
                           controls key again
  KEYS[8]     job          <prefix>:{<queue>}:job:<id> (absent: hold the queue only)
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     scope        `type` (field holdUntil of controls) or `group` (the group's
                           hold key, a string that expires with the hold)
  ARGV[5]     until        ms since the epoch
  ARGV[6..8]  the job:     stream entry id, callback id, attempt
  Returns     1 held (the job, if any, waits again), 0 refused: the worker no longer holds
              the job (nothing was written)

  The job's attempt is refunded as requeue.lua does on a clean shutdown (attempts - 1, no
  `workedBy`: the fence holds, a new holder gets a new pair); its concurrency slot is freed;
  it waits ahead of the jobs of its priority queued after it. The queue is gated, so every
  worker claims it through gate.lua, which enforces the hold.
]]
local now, group, consumer, scope, till = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local controls = KEYS[5]
if KEYS[8] then
  local sid, id, attempt = ARGV[6], ARGV[7], ARGV[8]
  local job = redis.call('HMGET', KEYS[8], 'status', 'workedBy', 'attempts', 'sid')
  if job[1] ~= 'pending' or job[2] ~= consumer or job[3] ~= attempt or job[4] ~= sid then
    return 0
  end
  redis.call('HINCRBY', KEYS[8], 'attempts', -1)
  redis.call('HSET', KEYS[8], 'status', 'accepted', 'workedBy', '')
  redis.call('HDEL', KEYS[8], 'sid')
  release_slot(KEYS[8], id)
  remove_entries(group, { sid })
  to_waiting(controls, KEYS[6], id, tonumber(redis.call('HGET', KEYS[8], 'priority') or '0'), true)
  note(KEYS[8], id, 'accepted', now, { heldUntil = till })
end
if scope == 'group' then
  local ms = till - now
  if ms > 0 and redis.call('PTTL', KEYS[7]) < ms then redis.call('SET', KEYS[7], till, 'PX', ms) end
elseif till > tonumber(redis.call('HGET', controls, 'holdUntil') or '0') then
  redis.call('HSET', controls, 'holdUntil', till)
end
redis.call('HSET', controls, 'gated', 1)
publish()
return 1
