-- Prelude of every queue script (prepended at load): the job event log and its publication,
-- and the batched removal of stream entries (remove_entries).
--
-- note(jobKey, id, status, now, extra) appends {n, status, at, ...extra} to the job's `events`
-- (the last 50; n counts from 1 in field `ev`) and queues [id, n, status] for publish();
-- event_log() does the same for a script that writes `ev` and `events` itself.
-- publish() sends the queued events of this call as one JSON array on the queue's channel,
-- `<prefix>:{<queue>}:events`, derived from KEYS[1] (the queue's stream).
local wm_published = {}

-- event_log(id, log, n, status, now, extra): the text of the job's `events` with entry n
-- appended (log: its current text, or nil), and [id, n, status] queued for publish(). For
-- scripts that write the job's fields in one HSET (they read `ev` and `events` beforehand).
local function event_log(id, log, n, status, now, extra)
  local e = { n = n, status = status, at = tonumber(now) }
  if extra then for k, v in pairs(extra) do e[k] = v end end
  wm_published[#wm_published + 1] = { id, n, status }
  if not log or log == '[]' then return '[' .. cjson.encode(e) .. ']' end
  if n <= 50 then
    -- Every entry was appended here with its own n: at most n entries, none to drop. Append
    -- to the JSON text instead of decoding and encoding the whole log on every change.
    return string.sub(log, 1, -2) .. ',' .. cjson.encode(e) .. ']'
  end
  local list = cjson.decode(log)
  list[#list + 1] = e
  while #list > 50 do table.remove(list, 1) end
  return cjson.encode(list)
end

local function note(jobKey, id, status, now, extra)
  local n = redis.call('HINCRBY', jobKey, 'ev', 1)
  local log = redis.call('HGET', jobKey, 'events')
  redis.call('HSET', jobKey, 'events', event_log(id, log, n, status, now, extra))
end

-- final(jobKey, id, now, webhook): a job became final; if it has a webhook, schedule its
-- delivery in `<prefix>:{<queue>}:webhooks` (a sibling of KEYS[1], so in the same hash slot).
-- webhook: the job's `webhook` field when the caller read it already (false: none), or nil.
local function final(jobKey, id, now, webhook)
  if webhook == nil then webhook = redis.call('HEXISTS', jobKey, 'webhook') == 1 end
  if webhook then
    redis.call('ZADD', (string.gsub(KEYS[1], ':stream$', ':webhooks')), tonumber(now), id)
  end
end

-- remove_entries(group, sids): acknowledge and delete the stream entries of this call, in one
-- XACK and one XDEL. XDEL walks the stream's first node again to find its new first entry
-- after deleting the first one; doing that once per call instead of once per entry is what
-- makes deleting a batch of finished entries cheap.
local function remove_entries(group, sids)
  if #sids > 0 then
    redis.call('XACK', KEYS[1], group, unpack(sids))
    redis.call('XDEL', KEYS[1], unpack(sids))
  end
end

local function publish()
  if #wm_published > 0 then
    local channel = string.gsub(KEYS[1], ':stream$', ':events')
    redis.call('PUBLISH', channel, cjson.encode(wm_published))
  end
end
