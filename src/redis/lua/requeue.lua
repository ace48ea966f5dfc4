--[[
  requeue: hand jobs claimed by a consumer back to the queue at once: a worker declared gone
  (takeover), or a worker shutting down with jobs it could not finish.

  KEYS[1]     stream       <prefix>:{<queue>}:stream
  KEYS[2..]   job          <prefix>:{<queue>}:job:<id>, one per entry
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the holder whose claims are handed back
  ARGV[3..]   2 per job:   stream entry id, callback id
  Returns     one integer per job: 1 requeued, 0 skipped (not held by that consumer anymore:
              finished, or taken by someone else meanwhile)

  A requeued job's entry is acknowledged and deleted and a new entry added at the stream's
  end; its status goes back to `accepted` and `sid` to the new entry. Its `workedBy` and
  `attempts` stay, so the holder's late finish is refused.
]]
local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 2, #KEYS do
  local a = 3 + (i - 2) * 2
  local sid = ARGV[a]
  local held = redis.call('XPENDING', KEYS[1], group, sid, sid, 1, consumer)
  local status = redis.call('HGET', KEYS[i], 'status')
  if #held == 1 then
    redis.call('XACK', KEYS[1], group, sid)
    redis.call('XDEL', KEYS[1], sid)
    if status == 'pending' or status == 'accepted' then
      local newSid = redis.call('XADD', KEYS[1], '*', 'id', ARGV[a + 1])
      redis.call('HSET', KEYS[i], 'status', 'accepted', 'sid', newSid)
      out[#out + 1] = 1
    else
      out[#out + 1] = 0
    end
  else
    out[#out + 1] = 0
  end
end
return out
