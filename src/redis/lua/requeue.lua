--[[
  requeue: hand jobs claimed by a consumer back to the queue at once: a worker declared gone
  (takeover), or a worker shutting down with jobs it could not finish.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per entry
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the holder whose claims are handed back
  ARGV[3]     refund       1: the attempt does not count (a clean shutdown), 0: it does
  ARGV[4]     now          milliseconds since the epoch
  ARGV[5..]   2 per job:   stream entry id, callback id
  Returns     one integer per job: 1 requeued, 0 skipped (not held by that consumer anymore:
              finished, or taken by someone else meanwhile)

  A requeued job's entry is acknowledged and deleted and a new entry added at the stream's
  end; its status goes back to `accepted` and `sid` to the new entry. Its `workedBy` stays, so
  the holder's late finish is refused.
]]
local group, consumer, refund, now = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
local out = {}
for i = 5, #KEYS do
  local a = 5 + (i - 5) * 2
  local sid = ARGV[a]
  local held = redis.call('XPENDING', KEYS[1], group, sid, sid, 1, consumer)
  local status = redis.call('HGET', KEYS[i], 'status')
  out[#out + 1] = 0
  if #held == 1 then
    redis.call('XACK', KEYS[1], group, sid)
    redis.call('XDEL', KEYS[1], sid)
    if status == 'pending' or status == 'accepted' then
      local newSid = redis.call('XADD', KEYS[1], '*', 'id', ARGV[a + 1])
      redis.call('HSET', KEYS[i], 'status', 'accepted', 'sid', newSid)
      note(KEYS[i], ARGV[a + 1], 'accepted', now, { requeued = true })
      if refund and status == 'pending' then
        -- A new holder gets a new (workedBy, attempts) pair anyway: the fence holds.
        redis.call('HINCRBY', KEYS[i], 'attempts', -1)
        redis.call('HSET', KEYS[i], 'workedBy', '')
      end
      out[#out] = 1
    end
  end
end
publish()
return out
