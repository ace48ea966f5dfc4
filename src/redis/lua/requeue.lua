--[[
  requeue: hand jobs claimed by a consumer back to the queue at once: a worker declared gone
  (takeover), or a worker shutting down with jobs it could not finish.

  Includes    lib/events.lua, lib/controls.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per entry
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the holder whose claims are handed back
  ARGV[3]     refund       1: the attempt does not count at all (a clean shutdown); 0: a
                           takeover, the attempt counts as a recovery (`recoveries` + 1)
  ARGV[4]     now          milliseconds since the epoch
  ARGV[5..]   2 per job:   stream entry id, callback id
  Returns     one integer per job: 1 requeued, 0 skipped (not held by that consumer anymore:
              finished, or taken by someone else meanwhile; or the entry is not the job's
              current `sid`: then it is only acknowledged and deleted)

  A requeued job's entry is acknowledged and deleted and a new entry added at the stream's
  end; its status goes back to `accepted` and `sid` to the new entry. Its `workedBy` stays, so
  the holder's late finish is refused. A job admitted through a gate gives its concurrency
  slot back (lib/controls.lua); in a gated queue its new entry moves to the waiting set at
  the next gate.lua call.
]]
local group, consumer, refund, now = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
local out = {}
for i = 5, #KEYS do
  local a = 5 + (i - 5) * 2
  local sid = ARGV[a]
  local held = redis.call('XPENDING', KEYS[1], group, sid, sid, 1, consumer)
  local job = redis.call('HMGET', KEYS[i], 'status', 'sid', 'gate')
  local status = job[1]
  out[#out + 1] = 0
  if #held == 1 then
    redis.call('XACK', KEYS[1], group, sid)
    redis.call('XDEL', KEYS[1], sid)
    -- Only the job's current entry: a stale one (the job was re-created or requeued under
    -- another entry) is just released, or the job would run twice.
    if (status == 'pending' or status == 'accepted') and job[2] == sid then
      local newSid = redis.call('XADD', KEYS[1], '*', 'id', ARGV[a + 1])
      redis.call('HSET', KEYS[i], 'status', 'accepted', 'sid', newSid)
      note(KEYS[i], ARGV[a + 1], 'accepted', now, { requeued = true })
      if status == 'pending' and refund then
        -- A new holder gets a new (workedBy, attempts) pair anyway: the fence holds.
        redis.call('HINCRBY', KEYS[i], 'attempts', -1)
        redis.call('HSET', KEYS[i], 'workedBy', '')
      elseif status == 'pending' then
        -- A takeover: the attempt never reported an outcome. It counts as a recovery, not as a
        -- handler attempt; `attempts` stays (the fence: the holder's late finish is refused).
        redis.call('HINCRBY', KEYS[i], 'recoveries', 1)
      end
      out[#out] = 1
    end
    -- A slot of the gate is held while `pending` only; the requeued job is admitted again.
    if job[3] and status ~= 'accepted' and (status ~= 'pending' or out[#out] == 1) then
      release_slot(KEYS[i], ARGV[a + 1])
    end
  end
end
publish()
return out
