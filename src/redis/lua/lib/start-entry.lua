-- Prelude of start.lua, claim.lua and gate.lua (prepended at load): one claimed entry.
-- Includes    lib/events.lua, lib/controls.lua
--
-- start_entry(jobKey, sid, id, now, consumer, deadTtl, maxRecoveries) makes the job `pending`
-- for consumer and answers {data, attempt, opts}, or answers nil when it must not run: the job
-- is gone, final, cancelled, or sid is a stale entry (the job was requeued under a new one).
-- A job still `pending` is taken over from a holder that never reported an outcome (XAUTOCLAIM
-- after the claim timeout): that counts a recovery, as requeue.lua does for a gone node. A job
-- already recovered maxRecoveries times (its workers died or froze running it each time: a
-- poison job) fails here, goes to the dead letters (KEYS[4]) and counts in the stats (KEYS[2]).
-- Recoveries never use up handler attempts (finish.lua counts attempts - recoveries), so a job
-- whose worker froze or was declared gone runs again. The caller acknowledges and deletes the
-- entry of every nil answer. A job admitted through a gate (field `gate`) that is final or
-- cancelled gives its concurrency slot back (lib/controls.lua).
local worker_json

local function start_entry(jobKey, sid, id, now, consumer, deadTtl, maxRecoveries)
  local job = redis.call('HMGET', jobKey, 'status', 'data', 'sid', 'attempts', 'recoveries', 'opts',
    'ev', 'events', 'gate')
  local status = job[1]
  if not ((status == 'accepted' or status == 'pending') and job[3] == sid) then
    if job[9] and status ~= 'accepted' and status ~= 'pending' then release_slot(jobKey, id) end
    return nil
  end
  local recoveries = tonumber(job[5] or '0')
  if status == 'pending' then
    recoveries = recoveries + 1
    redis.call('HSET', jobKey, 'recoveries', recoveries)
  end
  if recoveries > maxRecoveries then
    redis.call('HSET', jobKey, 'status', 'failed', 'finishedAt', now, 'error',
      'gave up after ' .. recoveries .. ' attempts that never finished (the worker died or stalled running it each time)')
    redis.call('EXPIRE', jobKey, deadTtl)
    redis.call('ZADD', KEYS[4], now, id)
    redis.call('HINCRBY', KEYS[2], 'failed', 1)
    note(jobKey, id, 'failed', now, { error = 'attempts used up' })
    final(jobKey, id, now)
    if job[9] then release_slot(jobKey, id) end
    return nil
  end
  -- One HSET for every field this changes: the hot path of a worker. Numbers go in as text
  -- (lib/events.lua int_text, now included).
  local attempt = tonumber(job[4]) + 1
  local n = tonumber(job[7] or '0') + 1
  if n == 2 and not job[8] then
    -- The plain first start: event 2 of the implicit log (lib/events.lua).
    implicit(id, n, 'pending')
    redis.call('HSET', jobKey, 'status', 'pending', 'startedAt', int_text(now), 'workedBy', consumer,
      'attempts', int_text(attempt), 'ev', '2')
  else
    worker_json = worker_json or cjson.encode(consumer)
    local events = event_log(id, job[8] or implicit_log(jobKey, n - 1), n, 'pending', now,
      ',"attempt":' .. attempt .. ',"worker":' .. worker_json)
    redis.call('HSET', jobKey, 'status', 'pending', 'startedAt', now, 'workedBy', consumer,
      'attempts', attempt, 'ev', n, 'events', events)
  end
  return { job[2], attempt, job[6] or '{}' }
end

-- start_carried(jobKey, sid, id, data, opts, now, ...) starts an entry that carries its job's
-- data and options (enqueue.lua writes them for a small plain job due now), read for the first
-- time: its job's first start, from a read of two fields instead of nine. The record's `ev` is
-- 1 only while nothing at all happened to the job since it was accepted (every change to a
-- queued job is an event: a cancel, a requeue, a hold...), and its `sid` names this entry
-- only while the entry is the job's current one (not one left by a record deleted and made
-- again under the same id). Both hold: the job is `accepted`, at 0 attempts, with the implicit
-- log, and one HSET starts it. Otherwise the entry goes the way of every other, start_entry().
local function start_carried(jobKey, sid, id, data, opts, now, consumer, deadTtl, maxRecoveries)
  local job = redis.call('HMGET', jobKey, 'ev', 'sid')
  if job[1] == '1' and job[2] == sid then
    implicit(id, 2, 'pending')
    redis.call('HSET', jobKey, 'status', 'pending', 'startedAt', int_text(now), 'workedBy', consumer,
      'attempts', '1', 'ev', '2')
    return { data, 1, opts }
  end
  return start_entry(jobKey, sid, id, now, consumer, deadTtl, maxRecoveries)
end
