--[[
  gate: the claim of a gated queue (paused, limited, or holding jobs with a priority or a
  group): admit as many waiting jobs as the controls allow, in priority order, and start
  them for the worker, in one call.

  Includes    lib/events.lua, lib/controls.lua, lib/start-entry.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     controls     <prefix>:{<queue>}:controls
  KEYS[6]     waiting      <prefix>:{<queue>}:waiting
  KEYS[7]     active       <prefix>:{<queue>}:active
  KEYS[8]     starts       <prefix>:{<queue>}:starts
  KEYS[9]     parked       <prefix>:{<queue>}:parked
  KEYS[10]    signal       <prefix>:{<queue>}:signal
  KEYS[11]    webhooks     <prefix>:{<queue>}:webhooks
  KEYS[12]    notify       <prefix>:{<queue>}:notify      (lib/events.lua final())
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the worker's node id
  ARGV[3]     deadTtlSec   how long a dead letter is kept
  ARGV[4]     count        jobs to start at most (the worker's free slots)
  ARGV[5]     maxRecoveries takeovers of an unfinished attempt a job may have and still run
  ARGV[6]     partitions   the type's partition count: each limit is split over them
  Returns     {state, waitMs, signalId, streamId, sid1, id1, data1, attempt1, opts1, sid2, ...}:
              state `open` (the queue is not gated any more: claim with claim.lua or
              start.lua again), `run` (jobs follow, or more may be admitted: call again at
              once) or `wait` (nothing may start now: wait on the signal stream and the stream,
              after signalId and streamId, for at most waitMs, then call again); then 5
              values per job to run, as claim.lua answers them

  Order: entries in the stream that were never admitted (queued before the queue was gated,
  promoted from the delayed set, requeued) move to the waiting set first; groups parked over
  their limit whose time has come move some jobs back; then, unless paused or held
  (`holdUntil`), allowed = min(count, concurrency room, rate room), and the waiting set is
  taken from its head: a job whose group is over its own limit (or held) is parked in
  `g:<group>:parked` (the group in `parked`, scored with when to look again), without
  holding back the other groups; the others are admitted (a slot in `active`, a start in
  `starts`, their group's too), given a stream entry read at once by this consumer, and
  started. Times are Redis' clock. Job and per-group keys are reached as siblings of the
  stream key (same hash slot), as claim.lua reaches its jobs: gate.lua reads them before it
  writes them.
]]
local group, consumer, deadTtl = ARGV[1], ARGV[2], ARGV[3]
local count, maxRecoveries = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local base = queue_base(KEYS[1])
local c = read_controls(KEYS[5], tonumber(ARGV[6]))

local function newest(key)
  local e = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  return e[1] and e[1][1] or '0-0'
end
local function answer(state, waitMs, out)
  out = out or {}
  local head = { state, math.max(0, math.floor(waitMs)), newest(KEYS[10]), newest(KEYS[1]) }
  for _, v in ipairs(out) do head[#head + 1] = v end
  return head
end

-- 1. Entries never admitted go to the waiting set.
local LOOSE = 200
local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', LOOSE, 'STREAMS', KEYS[1], '>')
local loose = read and read[1][2] or {}
if #loose > 0 then
  local sids = {}
  for _, e in ipairs(loose) do
    local id = e[2][1] == 'id' and e[2][2] or nil
    if id then wait_loose(base .. 'job:' .. id, e[1], id, KEYS[5], KEYS[6]) end
    sids[#sids + 1] = e[1]
  end
  remove_entries(group, sids)
  -- More may follow: admitting now would read them as if admitted.
  if #loose == LOOSE then return answer('run', 0) end
end

-- Per group met in this call: how many more of its jobs may start (0: park them).
local groups = {}

-- 2. Parked groups whose time has come: some of their jobs go back to the waiting set (with
-- their scores: their place in the order is kept).
for _, g in ipairs(redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now, 'LIMIT', 0, 20)) do
  local gp = base .. 'g:' .. g .. ':parked'
  local room, at = group_room(base, c, g, now)
  if room > 0 then
    local n = math.min(room, math.max(count, 100))
    local moved = redis.call('ZRANGE', gp, 0, n - 1, 'WITHSCORES')
    for k = 1, #moved, 2 do redis.call('ZADD', KEYS[6], moved[k + 1], moved[k]) end
    redis.call('ZREMRANGEBYRANK', gp, 0, n - 1)
    at = now + 250
    -- Step 4 admits the moved ones; while some stay parked, its newer jobs park behind them.
    groups[g] = redis.call('EXISTS', gp) == 1 and #moved / 2 or room
  end
  if redis.call('EXISTS', gp) == 0 then
    redis.call('ZREM', KEYS[9], g)
  else
    redis.call('ZADD', KEYS[9], at, g)
  end
end

-- 3. What the type allows now.
local function earliest_parked()
  local p = redis.call('ZRANGE', KEYS[9], 0, 0, 'WITHSCORES')
  return p[2] and math.max(10, tonumber(p[2]) - now) or nil
end
local limited = c.concurrency or c.rateMax or c.groupConcurrency or c.groupRateMax
if c.holdUntil and c.holdUntil <= now then
  redis.call('HDEL', KEYS[5], 'holdUntil')
  c.holdUntil = nil
end
if not (c.paused and c.paused ~= '0') and not c.holdUntil and not limited
    and redis.call('EXISTS', KEYS[6]) == 0 and redis.call('EXISTS', KEYS[9]) == 0 then
  redis.call('HDEL', KEYS[5], 'gated')
  return answer('open', 0)
end
if c.paused and c.paused ~= '0' then return answer('wait', 5000) end
if c.holdUntil then return answer('wait', c.holdUntil - now) end
local allowed = count
local conc = tonumber(c.concurrency)
if conc then
  allowed = math.min(allowed, conc - redis.call('ZCARD', KEYS[7]))
  if allowed <= 0 then return answer('wait', 5000) end
end
local rateMax = tonumber(c.rateMax)
if rateMax and c.ratePerMs then
  local room, at = window_room(KEYS[8], rateMax, c.ratePerMs, now)
  if room <= 0 then return answer('wait', at - now) end
  allowed = math.min(allowed, room)
end

-- 4. Admit from the head of the waiting set.
local admitted = {}
local scanned = 0
while #admitted < allowed and scanned < allowed + 100 do
  local head = redis.call('ZRANGE', KEYS[6], 0, allowed - #admitted - 1, 'WITHSCORES')
  if #head == 0 then break end
  for k = 1, #head, 2 do
    local id, score = head[k], head[k + 1]
    scanned = scanned + 1
    redis.call('ZREM', KEYS[6], id)
    local jobKey = base .. 'job:' .. id
    local j = redis.call('HMGET', jobKey, 'status', 'group')
    local g = j[2]
    local ok = j[1] == 'accepted'
    if ok and g then
      local room = groups[g]
      if room == nil then
        -- A parked group keeps its order: its newer jobs park behind the parked ones.
        if redis.call('ZSCORE', KEYS[9], g) then room = 0 else room = group_room(base, c, g, now) end
      end
      if room <= 0 then
        if not redis.call('ZSCORE', KEYS[9], g) then
          local _, at = group_room(base, c, g, now)
          redis.call('ZADD', KEYS[9], at or now + 250, g)
        end
        redis.call('ZADD', base .. 'g:' .. g .. ':parked', score, id)
        ok = false
      end
      groups[g] = room - (ok and 1 or 0)
    end
    if ok then
      redis.call('HSET', jobKey, 'sid', redis.call('XADD', KEYS[1], '*', 'id', id), 'gate', 1)
      redis.call('ZADD', KEYS[7], now, id)
      if rateMax and c.ratePerMs then redis.call('ZADD', KEYS[8], now, id .. '@' .. now) end
      if g then
        local gb = base .. 'g:' .. g .. ':'
        redis.call('ZADD', gb .. 'active', now, id)
        if c.groupRateMax and c.groupRatePerMs then
          redis.call('ZADD', gb .. 'starts', now, id .. '@' .. now)
          redis.call('PEXPIRE', gb .. 'starts', c.groupRatePerMs)
        end
      end
      admitted[#admitted + 1] = id
    end
  end
end

-- 5. Start the admitted jobs: the only entries after the ones read in step 1.
local out = {}
if #admitted > 0 then
  local entries = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', #admitted, 'STREAMS',
    KEYS[1], '>')[1][2]
  local done_sids = {}
  for _, e in ipairs(entries) do
    local sid, id = e[1], e[2][2]
    local run = start_entry(base .. 'job:' .. id, sid, id, now, consumer, deadTtl, maxRecoveries)
    if run then
      out[#out + 1] = sid
      out[#out + 1] = id
      out[#out + 1] = run[1]
      out[#out + 1] = run[2]
      out[#out + 1] = run[3]
    else
      done_sids[#done_sids + 1] = sid
    end
  end
  remove_entries(group, done_sids)
  publish()
  return answer('run', 0, out)
end
if scanned > 0 then return answer('run', 0) end
return answer('wait', earliest_parked() or 5000)
