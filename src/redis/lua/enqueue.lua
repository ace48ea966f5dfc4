--[[
  enqueue: add a batch of new jobs to one queue.

  Includes    lib/batch.lua, lib/events.lua, lib/controls.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per job, in ARGV order
  KEYS[last-3] created     <prefix>:{<queue>}:created   (the jobs index: id -> createdAt)
  KEYS[last-2] controls    <prefix>:{<queue>}:controls
  KEYS[last-1] waiting     <prefix>:{<queue>}:waiting
  KEYS[last]  signal       <prefix>:{<queue>}:signal
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     type         job type name
  ARGV[3]     acceptedBy   node id of the API process
  ARGV[4]     check        '1': read controls `gated`; '0': take the queue as not gated (the
                           producer looked less than a quarter second ago, below)
  ARGV[5..]   8 per job:   id, data (JSON), resultTtlSec, maxAttempts, opts (JSON),
                           runAt (ms since the epoch; 0 = now), webhook URL ('' = none),
                           placement ('' for a plain job; else `<priority>` or
                           `<priority> <group>`: priority -10..10, group
                           `[A-Za-z0-9_.:@-]{1,64}`)
  Returns     one answer per job, then the queue's gated flag as this call leaves it (1 or
              0; with check '0', 1 only when this call gated it). Per job: 1 created, 0 a job with this id exists already
              (a resent enqueue, or the same idempotency key, never creates a second job), or
              an error reply for that job alone (lib/batch.lua): runAt, resultTtlSec or
              maxAttempts not a number, a bad placement; nothing of that job is written

  A plain job due now gets a stream entry (`id`, and `d` data and `o` run options when they take
  at most 512 bytes together: a carried entry, docs/protocol.md); a job due later waits in the delayed set until
  promote. A job due now with a priority or a group, and every job of a gated queue
  (controls `gated`), waits in the waiting set instead (lib/controls.lua): the queue is then
  gated, and the signal stream wakes the workers. Publishes the `accepted` events on the
  queue's events channel. Every created job is added to the queue's jobs index (`created`,
  score = now) with one ZADD for the whole call.

  A producer has the script look at `gated` on its first call for a queue, on every call while
  it last saw the queue gated, and at most every 250 ms otherwise (Producer): a plain job pays
  no controls read per call. A plain job queued in the stream of a queue gated meanwhile is a
  loose entry: gate.lua moves it to the waiting set ahead of its priority, under the controls.
]]
-- now: a number to compare runAt with; ARGV[1], its text, is what gets written (no number
-- formatting per job, lib/events.lua).
local now, jobType, acceptedBy = tonumber(ARGV[1]), ARGV[2], ARGV[3]
-- Bytes of data and options a stream entry carries at most (a copy of the record's: a waiting
-- job's data is kept twice, so only a small one).
local WM_ENTRY_DATA_MAX = 512
local out, created = {}, 0
local controls, waiting, signal = KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]
-- The jobs index (GET /api/jobs): score, id pairs of the jobs created, one ZADD at the end.
local indexed = {}
-- The one call an enqueue pays for the controls, when the producer asks.
local gated = ARGV[4] == '1' and redis.call('HGET', controls, 'gated') == '1'
local woken = false
local function enqueue_one(i)
  local a = 5 + (i - 5) * 8
  check_number(ARGV[a + 5], 'runAt')
  check_number(ARGV[a + 2], 'resultTtlSec')
  check_number(ARGV[a + 3], 'maxAttempts')
  local priority, group = placement(ARGV[a + 7])
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[#out + 1] = 0
  else
    local id, runAt = ARGV[a], tonumber(ARGV[a + 5])
    -- A new job: its first event (n = 1) and every field in one HSET. A delayed job's log is
    -- written out (its accepted event carries runAt, which promote removes).
    if runAt > now then
      redis.call('ZADD', KEYS[3], runAt, id)
      local events = event_log(id, nil, 1, 'accepted', now, { runAt = runAt })
      redis.call('HSET', KEYS[i], 'type', jobType, 'data', ARGV[a + 1], 'status', 'accepted',
        'attempts', 0, 'maxAttempts', ARGV[a + 3], 'resultTtlSec', ARGV[a + 2], 'opts', ARGV[a + 4],
        'createdAt', now, 'acceptedBy', acceptedBy, 'runAt', runAt, 'ev', 1, 'events', events)
    elseif gated or priority then
      -- Gated, or placed: into the waiting set, in priority order (gate.lua admits it).
      to_waiting(controls, waiting, id, priority or 0, false)
      implicit(id, 1, 'accepted')
      redis.call('HSET', KEYS[i], 'type', jobType, 'data', ARGV[a + 1], 'status', 'accepted',
        'attempts', 0, 'maxAttempts', ARGV[a + 3], 'resultTtlSec', ARGV[a + 2], 'opts', ARGV[a + 4],
        'createdAt', now, 'acceptedBy', acceptedBy, 'ev', 1)
      if not gated then redis.call('HSET', controls, 'gated', 1) end
      gated, woken = true, true
    else
      -- Due now: event 1 of the implicit log (lib/events.lua), no `events` field.
      -- A job's own entry carries its data and options when they are small (claim.lua starts
      -- it from a read of two fields of its record); a larger job's entry names only the id.
      local sid
      if #ARGV[a + 1] + #ARGV[a + 4] <= WM_ENTRY_DATA_MAX then
        sid = redis.call('XADD', KEYS[1], '*', 'id', id, 'd', ARGV[a + 1], 'o', ARGV[a + 4])
      else
        sid = redis.call('XADD', KEYS[1], '*', 'id', id)
      end
      implicit(id, 1, 'accepted')
      redis.call('HSET', KEYS[i], 'type', jobType, 'data', ARGV[a + 1], 'status', 'accepted',
        'attempts', '0', 'maxAttempts', ARGV[a + 3], 'resultTtlSec', ARGV[a + 2], 'opts', ARGV[a + 4],
        'createdAt', ARGV[1], 'acceptedBy', acceptedBy, 'sid', sid, 'ev', '1')
    end
    if ARGV[a + 6] ~= '' then redis.call('HSET', KEYS[i], 'webhook', ARGV[a + 6]) end
    if priority and priority ~= 0 then redis.call('HSET', KEYS[i], 'priority', priority) end
    if group then redis.call('HSET', KEYS[i], 'group', group) end
    out[#out + 1] = 1
    created = created + 1
    indexed[#indexed + 1] = ARGV[1]
    indexed[#indexed + 1] = id
  end
end
for i = 5, #KEYS - 4 do
  local ok, e = pcall(enqueue_one, i)
  if not ok then out[i - 4] = item_error(e) end
end
if created > 0 then
  redis.call('HINCRBY', KEYS[2], 'accepted', created)
  redis.call('ZADD', KEYS[#KEYS - 3], unpack(indexed))
end
if woken then redis.call('XADD', signal, 'MAXLEN', '~', 10, '*', 'w', 1) end
publish()
out[#out + 1] = gated and 1 or 0
return out
