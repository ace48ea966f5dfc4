--[[
  finish: write the outcome of a batch of jobs a worker ran, if it still holds them.

  Includes    lib/batch.lua, lib/events.lua, lib/controls.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per job
  KEYS[last-1] webhooks    <prefix>:{<queue>}:webhooks
  KEYS[last]  notify       <prefix>:{<queue>}:notify      (lib/events.lua final())
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     deadTtlSec   how long a dead letter is kept
  ARGV[5..]   6 per job:   stream entry id, callback id, attempt, outcome (`done` | `error` |
                           `fatal`), payload (the value as JSON for done, the error message
                           otherwise), retryAt (ms since the epoch: when to retry an `error`)
  Returns     one answer per job: 1 done, 2 retry scheduled, 3 failed (dead letter),
              4 cancelled meanwhile (nothing written but the cleanup), 0 refused because the
              worker no longer holds the job (another worker took it over, or it is final), or
              an error reply for that job alone (lib/batch.lua): a malformed entry id or
              retryAt, a stored `history` that is not JSON; nothing of that job is written

  `error` retries while attempts - recoveries < maxAttempts, else fails; `fatal` (an unrecoverable error)
  fails at once. Every error is appended to the job's `history`. A final job gets `finishedAt`
  and an expiry: resultTtlSec when done, deadTtlSec when failed (it is then in the dead set).
  In every case but 0 the stream entry is acknowledged and deleted, and a job admitted
  through a gate gives its concurrency slot back (lib/controls.lua). A final job with a
  webhook is scheduled for delivery in the queue's webhooks set.
]]
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local done_sids = {}
local out = {}
local count = { done = 0, retried = 0, failed = 0 }
local function finish_one(i)
  local a = 5 + (i - 5) * 6
  local sid, id, attempt, outcome, payload = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  check_sid(sid)
  if outcome == 'error' then check_number(ARGV[a + 5], 'retryAt') end
  -- The fields the done path needs; an error reads its two more below.
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts', 'resultTtlSec', 'ev', 'events',
    'webhook', 'gate', 'parent')
  local held = job[2] == consumer and job[3] == attempt
  if held and job[1] == 'cancelled' then
    out[#out + 1] = 4
  elseif not held or job[1] ~= 'pending' then
    out[#out + 1] = 0
  elseif outcome == 'done' then
    -- One HSET for every field this changes: the hot path of a worker. Numbers go in as text
    -- (ARGV[1] is now as the worker sent it; lib/events.lua).
    local n = tonumber(job[5] or '0') + 1
    if n == 3 and not job[6] then
      -- The plain end: event 3 of the implicit log (lib/events.lua).
      implicit(id, n, 'done')
      redis.call('HSET', KEYS[i], 'status', 'done', 'value', payload, 'finishedAt', ARGV[1], 'ev', '3')
    else
      local events = event_log(id, job[6] or implicit_log(KEYS[i], n - 1), n, 'done', now)
      redis.call('HSET', KEYS[i], 'status', 'done', 'value', payload, 'finishedAt', now,
        'ev', n, 'events', events)
    end
    redis.call('EXPIRE', KEYS[i], job[4])
    final(KEYS[i], id, now, job[7] ~= false, job[9] ~= false)
    count.done = count.done + 1
    out[#out + 1] = 1
  else
    local more = redis.call('HMGET', KEYS[i], 'maxAttempts', 'history', 'recoveries')
    local history = cjson.decode(more[2] or '[]')
    history[#history + 1] = { attempt = tonumber(attempt), error = payload, at = now, worker = consumer }
    while #history > 20 do table.remove(history, 1) end
    redis.call('HSET', KEYS[i], 'error', payload, 'history', cjson.encode(history))
    -- Attempts taken over before they reported (recoveries) do not use up maxAttempts.
    if outcome == 'error' and tonumber(job[3]) - tonumber(more[3] or '0') < tonumber(more[1]) then
      local retryAt = tonumber(ARGV[a + 5])
      redis.call('HSET', KEYS[i], 'status', 'accepted', 'runAt', retryAt)
      redis.call('HDEL', KEYS[i], 'sid')
      redis.call('ZADD', KEYS[3], retryAt, id)
      note(KEYS[i], id, 'accepted', now, { runAt = retryAt, error = payload })
      count.retried = count.retried + 1
      out[#out + 1] = 2
    else
      redis.call('HSET', KEYS[i], 'status', 'failed', 'finishedAt', now)
      redis.call('EXPIRE', KEYS[i], deadTtl)
      redis.call('ZADD', KEYS[4], now, id)
      note(KEYS[i], id, 'failed', now, { error = payload })
      final(KEYS[i], id, now, nil, job[9] ~= false)
      count.failed = count.failed + 1
      out[#out + 1] = 3
    end
  end
  if out[#out] ~= 0 then
    done_sids[#done_sids + 1] = sid
    if job[8] then release_slot(KEYS[i], id) end
  end
end
for i = 5, #KEYS - 2 do
  local ok, e = pcall(finish_one, i)
  if not ok then out[i - 4] = item_error(e) end
end
for name, n in pairs(count) do
  if n > 0 then redis.call('HINCRBY', KEYS[2], name, n) end
end
remove_entries(group, done_sids)
publish()
return out
