-- Prelude of every queue script (prepended at load): the job event log and its publication.
--
-- note(jobKey, id, status, now, extra) appends {n, status, at, ...extra} to the job's `events`
-- (the last 50; n counts from 1 in field `ev`) and queues [id, n, status] for publish().
-- publish() sends the queued events of this call as one JSON array on the queue's channel,
-- `<prefix>:{<queue>}:events`, derived from KEYS[1] (the queue's stream).
local wm_published = {}

local function note(jobKey, id, status, now, extra)
  local n = redis.call('HINCRBY', jobKey, 'ev', 1)
  local log = cjson.decode(redis.call('HGET', jobKey, 'events') or '[]')
  local e = { n = n, status = status, at = tonumber(now) }
  if extra then for k, v in pairs(extra) do e[k] = v end end
  log[#log + 1] = e
  if #log > 50 then table.remove(log, 1) end
  redis.call('HSET', jobKey, 'events', cjson.encode(log))
  wm_published[#wm_published + 1] = { id, n, status }
end

-- final(jobKey, id, now): a job became final; if it has a webhook, schedule its delivery in
-- `<prefix>:{<queue>}:webhooks` (a sibling of KEYS[1], so in the same hash slot).
local function final(jobKey, id, now)
  if redis.call('HEXISTS', jobKey, 'webhook') == 1 then
    redis.call('ZADD', (string.gsub(KEYS[1], ':stream$', ':webhooks')), tonumber(now), id)
  end
end

local function publish()
  if #wm_published > 0 then
    local channel = string.gsub(KEYS[1], ':stream$', ':events')
    redis.call('PUBLISH', channel, cjson.encode(wm_published))
  end
end
