-- Prelude of the scripts that log job events (each names it in its header's Includes row):
-- the job event log and its publication, and the batched removal of stream entries
-- (remove_entries).
--
-- note(jobKey, id, status, now, extra) appends {n, status, at, ...extra} to the job's `events`
-- (the last 50; n counts from 1 in field `ev`) and queues [id, n, status] for publish();
-- event_log() does the same for a script that writes `ev` and `events` itself, and implicit()
-- for an event of the implicit log. publish() sends the queued events of this call as one JSON
-- array on the queue's channel, `<prefix>:{<queue>}:events`, derived from KEYS[1] (the stream).
--
-- The implicit log: while a job's history is the plain one, due at once (1 accepted, then
-- 2 pending, then 3 done), `events` is not written at all; `ev` counts, and the entries are
-- read off createdAt, startedAt, attempts, workedBy and finishedAt (implicit_log(); readers do
-- the same, docs/protocol.md). Any other event writes the log out in full first. This keeps
-- the job hash small enough for Redis to store it compactly (a listpack: no value over 64
-- bytes), which is most of what makes the hot path cheap.
--
-- Numbers written to Redis or into JSON are passed as text where the hot path can: Lua formats
-- a number through printf's floating-point path ('%.14g'), which was about 6 % of Redis' CPU
-- time in an end-to-end run (perf). int_text(n) formats an integer (an event number, an
-- attempt, the call's clock) once per call.
local wm_published = {}
local wm_int = {}

local function int_text(n)
  local s = wm_int[n]
  if not s then
    s = string.format('%d', n)
    wm_int[n] = s
  end
  return s
end

-- queue [id, n, status] for publish(), as JSON text (n an integer).
local function published(id, n, status)
  wm_published[#wm_published + 1] = '[' .. cjson.encode(id) .. ',' .. int_text(n) .. ',"' .. status .. '"]'
end

-- event_log(id, log, n, status, now, extra): the text of the job's `events` with entry n
-- appended (log: its current text, or nil), and [id, n, status] queued for publish(). For
-- scripts that write the job's fields in one HSET (they read `ev` and `events` beforehand).
-- extra: a table of more fields, or, on the hot path, those fields as JSON text (`,"k":v`):
-- the entry is built as text, with no cjson table walk for the common events.
local function event_log(id, log, n, status, now, extra)
  local e = '{"n":' .. int_text(n) .. ',"status":"' .. status .. '","at":' .. now
  if type(extra) == 'table' then
    local more = cjson.encode(extra)
    if more ~= '{}' then e = e .. ',' .. string.sub(more, 2, -2) end
  elseif extra then
    e = e .. extra
  end
  e = e .. '}'
  published(id, n, status)
  if not log or log == '[]' then return '[' .. e .. ']' end
  if n <= 50 then
    -- Every entry was appended here with its own n: at most n entries, none to drop. Append
    -- to the JSON text instead of decoding and encoding the whole log on every change.
    return string.sub(log, 1, -2) .. ',' .. e .. ']'
  end
  local list = cjson.decode(log)
  list[#list + 1] = cjson.decode(e)
  while #list > 50 do table.remove(list, 1) end
  return cjson.encode(list)
end

-- implicit_log(jobKey, ev): the text of the implicit log of a job whose `ev` is ev and which
-- has no `events` (nil when ev is 0). Call it before changing startedAt, attempts or workedBy.
local function implicit_log(jobKey, ev)
  if ev < 1 then return nil end
  local f = redis.call('HMGET', jobKey, 'createdAt', 'startedAt', 'attempts', 'workedBy', 'finishedAt')
  local log = '[{"n":1,"status":"accepted","at":' .. (f[1] or 0) .. '}'
  if ev >= 2 then
    log = log .. ',{"n":2,"status":"pending","at":' .. (f[2] or 0) .. ',"attempt":' .. (f[3] or 0)
      .. ',"worker":' .. cjson.encode(f[4] or '') .. '}'
  end
  if ev >= 3 then log = log .. ',{"n":3,"status":"done","at":' .. (f[5] or 0) .. '}' end
  return log .. ']'
end

-- implicit(id, n, status): an event of the implicit log: only published.
local function implicit(id, n, status)
  published(id, n, status)
end

local function note(jobKey, id, status, now, extra)
  local f = redis.call('HMGET', jobKey, 'ev', 'events')
  local ev = tonumber(f[1] or '0')
  local log = f[2] or implicit_log(jobKey, ev)
  redis.call('HSET', jobKey, 'ev', ev + 1, 'events', event_log(id, log, ev + 1, status, now, extra))
end

-- final(jobKey, id, now, webhook, parent): a job became final; if it has a webhook, schedule its
-- delivery in `<prefix>:{<queue>}:webhooks`; if it is a child of a flow (field `parent`),
-- record it in its queue's outbox `<prefix>:{<queue>}:notify` (lib/flow.lua, docs/workflows.md).
-- A script that calls final() takes those two keys as its last two keys (KEYS[#KEYS - 1],
-- KEYS[#KEYS]): every key a script touches is passed in KEYS, or Redis Cluster, while the
-- slot migrates, could stop the script halfway (a job final, its webhook never scheduled).
-- webhook, parent: whether the job has that field when the caller read it already (false:
-- none), or nil (then read here).
local function final(jobKey, id, now, webhook, parent)
  if webhook == nil then webhook = redis.call('HEXISTS', jobKey, 'webhook') == 1 end
  if webhook then redis.call('ZADD', KEYS[#KEYS - 1], tonumber(now), id) end
  if parent == nil then parent = redis.call('HEXISTS', jobKey, 'parent') == 1 end
  if parent then redis.call('ZADD', KEYS[#KEYS], tonumber(now), id) end
end

-- remove_entries(group, sids): acknowledge the stream entries of this call and delete them.
-- XDEL walks a stream node from its start to find each entry, and again to find the stream's
-- new first entry: about 5 µs an entry. So the entries older than every entry still needed
-- (the oldest pending one, or, with none pending, everything up to the newest acknowledged
-- here, which was delivered) go with one XTRIM MINID; only those newer than a job still
-- running are deleted one by one. After each call, as before, no acknowledged entry is left.
-- Entry ids are compared as text (ms and seq each by length, then digit by digit), never as
-- numbers: no number parsing or formatting per entry.
local function stream_id(sid)
  local dash = string.find(sid, '-', 1, true)
  return string.sub(sid, 1, dash - 1), string.sub(sid, dash + 1)
end

local function digits_below(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end

local function id_below(ams, aseq, bms, bseq)
  if ams ~= bms then return digits_below(ams, bms) end
  return digits_below(aseq, bseq)
end

local function remove_entries(group, sids)
  if #sids == 0 then return end
  redis.call('XACK', KEYS[1], group, unpack(sids))
  local pending = redis.call('XPENDING', KEYS[1], group)
  local floor
  if pending[1] > 0 then
    floor = pending[2]
  else
    -- Everything up to the newest entry acknowledged here goes (it was delivered, so every
    -- older entry was too): the floor is just above it.
    local nms, nseq = '0', '0'
    for _, sid in ipairs(sids) do
      local ms, seq = stream_id(sid)
      if id_below(nms, nseq, ms, seq) then nms, nseq = ms, seq end
    end
    floor = nms .. '-' .. string.format('%d', tonumber(nseq) + 1)
  end
  redis.call('XTRIM', KEYS[1], 'MINID', floor)
  if pending[1] == 0 then return end -- the floor is above every sid: all trimmed
  local fms, fseq = stream_id(floor)
  local rest = {}
  for _, sid in ipairs(sids) do
    local ms, seq = stream_id(sid)
    if not id_below(ms, seq, fms, fseq) then rest[#rest + 1] = sid end
  end
  if #rest > 0 then redis.call('XDEL', KEYS[1], unpack(rest)) end
end

local function publish()
  if #wm_published > 0 then
    local channel = string.gsub(KEYS[1], ':stream$', ':events')
    redis.call('PUBLISH', channel, '[' .. table.concat(wm_published, ',') .. ']')
  end
end
