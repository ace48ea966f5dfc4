--[[
  dedupe: the deduplication window of a job (throttle or debounce) decides whether a
  submission makes a new job or is answered with the window's job. The record and the job
  share the queue's hash tag (the queue is chosen from the dedupe key).

  KEYS[1]     record       <prefix>:{<queue>}:dedupe:<digest>: `<callback id> <reserved at, ms>`
  KEYS[2]     delayed      <prefix>:{<queue>}:delayed
  KEYS[3]     job          <prefix>:{<queue>}:job:<id> of ARGV[2] (the candidate's when '')
  ARGV[1]     mode         throttle | debounce
  ARGV[2]     expected     the record's callback id as the caller read it ('' = no record)
  ARGV[3]     candidate    the callback id a new job gets
  ARGV[4]     now          milliseconds since the epoch
  ARGV[5]     windowMs     throttle: the window from the first job
  ARGV[6]     runAt        debounce: when the job becomes due (ms since the epoch)
  ARGV[7]     data         debounce: the job's new data (JSON)
  ARGV[8]     staleMs      a reservation whose job is not written after this long is taken over
  Returns     {verdict, id}: `create` (the window is the candidate's now: write its job),
              `duplicate` (throttle: the window's job; a job not written ARGV[8] after its
              reservation, or gone, starts the window over), `replaced` (debounce: the waiting job
              now has this data and due time), `pending` (its job is still being written:
              ask again shortly), `again` (the record changed since the caller read it)

  A resend of the candidate (a minted Idempotency-Key) finds its own reservation: `create`.
  Debounce replaces only a job that never started (status accepted, attempts 0, still in the
  delayed set); otherwise a new job takes the window.
]]
local mode, expected, candidate = ARGV[1], ARGV[2], ARGV[3]
local now, windowMs, runAt, staleMs = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[8])
local record = redis.call('GET', KEYS[1])
local id, at = nil, 0
if record then
  local space = string.find(record, ' ', 1, true)
  id, at = string.sub(record, 1, space - 1), tonumber(string.sub(record, space + 1))
end
local function reserve(ttlMs)
  redis.call('SET', KEYS[1], candidate .. ' ' .. now, 'PX', math.max(1, ttlMs))
  return { 'create', candidate }
end
if mode == 'throttle' then
  if not id or id == candidate then return reserve(windowMs) end
  -- Its job was never written (a failed write) or is gone already (a result TTL shorter than
  -- the window): the window starts over rather than name a job nobody can read.
  if id == expected and now - at >= staleMs and redis.call('EXISTS', KEYS[3]) == 0 then
    return reserve(windowMs)
  end
  return { 'duplicate', id }
end
-- debounce: the record lives as long as its job waits, and a little longer.
local ttlMs = runAt - now + staleMs
if not id or id == candidate then return reserve(ttlMs) end
if id ~= expected then return { 'again', id } end
local job = redis.call('HMGET', KEYS[3], 'status', 'attempts')
if job[1] == 'accepted' and job[2] == '0' and redis.call('ZSCORE', KEYS[2], id) then
  redis.call('ZADD', KEYS[2], runAt, id)
  redis.call('HSET', KEYS[3], 'data', ARGV[7], 'runAt', runAt)
  redis.call('SET', KEYS[1], record, 'PX', ttlMs)
  return { 'replaced', id }
end
if not job[1] and now - at < staleMs then return { 'pending', id } end
return reserve(ttlMs)
