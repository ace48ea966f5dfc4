-- Prelude of the scripts that enforce queue controls (docs/protocol.md, "Queue controls"):
-- the waiting set of a gated queue, and the concurrency slots its running jobs hold.
--
-- A queue is gated while its `controls` hash has `gated` = "1": its ready jobs then wait in
-- the `waiting` zset (member = callback id, score = (10 - priority) * 2^40 + seq) instead of
-- the stream, and only gate.lua moves them to the stream, as the controls allow, starting
-- them in the same call. A job admitted there holds a slot: its id in `active` (and in
-- `g:<group>:active` for a job with a group), and the field `gate` on its record. Every
-- script that takes a job out of `pending` calls release_slot() for a job with that field.
--
-- The keys below are derived from a key of the queue (same hash tag, same slot): only jobs
-- admitted through the gate (field `gate`) ever reach them, never a plain job.

-- 2^40: the room for seq within one priority; 2^39: loose entries (queued in the stream
-- before the queue was gated, or requeued there) go ahead of the jobs queued in `waiting`.
local WM_PRIORITY_STEP = 1099511627776
local WM_LOOSE_BASE = 549755813888

-- '<prefix>:{<queue>}:' from any key of the queue.
local function queue_base(key)
  return string.match(key, '^(.*}:)')
end

-- to_waiting(controls, waiting, id, priority, loose): queue a job in the waiting set, in
-- priority order, FIFO within a priority (seq counts in the controls hash).
local function to_waiting(controls, waiting, id, priority, loose)
  local seq = redis.call('HINCRBY', controls, loose and 'lseq' or 'seq', 1)
  if loose then seq = seq - WM_LOOSE_BASE end
  redis.call('ZADD', waiting, (10 - priority) * WM_PRIORITY_STEP + seq, id)
end

-- wait_loose(jobKey, sid, id, controls, waiting): a stream entry met in a gated queue, of a
-- job that was never admitted (queued before the gate, promoted, requeued): its job goes to
-- the waiting set instead of starting (the caller acknowledges and deletes the entry).
-- Answers false when the entry is not the job's current one, or the job is not queued.
local function wait_loose(jobKey, sid, id, controls, waiting)
  local j = redis.call('HMGET', jobKey, 'status', 'sid', 'priority')
  if j[1] ~= 'accepted' or j[2] ~= sid then return false end
  redis.call('HDEL', jobKey, 'sid')
  to_waiting(controls, waiting, id, tonumber(j[3] or '0'), true)
  return true
end

-- release_slot(jobKey, id): a job admitted through the gate left `pending` (finished,
-- retried, failed, cancelled, requeued): its concurrency slots are free again. Idempotent
-- (ZREM decides), so a slot is freed once however many paths see the job leave. Wakes the
-- workers held back by a limit (the `signal` stream), and rechecks its group at once.
local function release_slot(jobKey, id)
  local base = queue_base(jobKey)
  if redis.call('ZREM', base .. 'active', id) == 0 then return end
  local g = redis.call('HGET', jobKey, 'group')
  if g then
    redis.call('ZREM', base .. 'g:' .. g .. ':active', id)
    redis.call('ZADD', base .. 'parked', 'XX', 'LT', 0, g)
  end
  redis.call('XADD', base .. 'signal', 'MAXLEN', '~', 10, '*', 'w', 1)
end

-- read_controls(controls, partitions): the controls hash as a table, its maxima split over
-- the type's partitions (each partition queue has its share: ceil, at least 1).
local function read_controls(controls, partitions)
  local flat = redis.call('HGETALL', controls)
  local c = {}
  for i = 1, #flat, 2 do c[flat[i]] = flat[i + 1] end
  for _, name in ipairs({ 'rateMax', 'concurrency', 'groupRateMax', 'groupConcurrency' }) do
    local n = tonumber(c[name])
    if n then c[name] = math.max(1, math.ceil(n / partitions)) end
  end
  for _, name in ipairs({ 'ratePerMs', 'groupRatePerMs', 'holdUntil' }) do
    c[name] = tonumber(c[name])
  end
  return c
end

-- window_room(starts, max, perMs, now): starts left in the sliding window (at most max in any
-- perMs), and when the next one frees when none is left.
local function window_room(starts, max, perMs, now)
  redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - perMs)
  local room = max - redis.call('ZCARD', starts)
  if room > 0 then return room, nil end
  local first = redis.call('ZRANGE', starts, 0, 0, 'WITHSCORES')
  return 0, (tonumber(first[2]) or now) + perMs
end

-- group_room(base, c, g, now): jobs of group g that may start now, and when to look again
-- when none may (a handler's hold, its concurrency or its rate window).
local function group_room(base, c, g, now)
  local gb = base .. 'g:' .. g .. ':'
  local hold = redis.call('PTTL', gb .. 'hold')
  if hold > 0 then return 0, now + hold end
  local room = math.huge
  local gc = tonumber(c.groupConcurrency)
  if gc then
    room = gc - redis.call('ZCARD', gb .. 'active')
    -- A slot freed by release_slot() rechecks the group at once; this is a safety net.
    if room <= 0 then return 0, now + 5000 end
  end
  local gmax = tonumber(c.groupRateMax)
  if gmax and c.groupRatePerMs then
    local r, at = window_room(gb .. 'starts', gmax, c.groupRatePerMs, now)
    if r <= 0 then return 0, at end
    room = math.min(room, r)
  end
  return room, nil
end

-- placement(text): a job's priority and group from enqueue's placement argument ('' for a
-- plain job: nil, nil; else `<priority>` or `<priority> <group>`). Raises for a bad one, so
-- the job alone is refused (lib/batch.lua).
local function placement(text)
  if text == '' then return nil, nil end
  local p, g = string.match(text, '^(%-?%d+) ([A-Za-z0-9_.:@%-]+)$')
  if not p then p = string.match(text, '^(%-?%d+)$') end
  local priority = tonumber(p)
  if not priority or priority < -10 or priority > 10 then
    error('bad placement (priority -10..10, then a group): ' .. text, 0)
  end
  if g and #g > 64 then error('group longer than 64 characters', 0) end
  return priority, g
end
