--[[
  log: append the lines a running job logged (ctx.addLog) to its record's `log` field, if its
  worker still holds it. The field keeps the last 100 lines, of every attempt; it goes with
  the record (its TTL, a delete).

  KEYS[1..]   job          <prefix>:{<queue>}:job:<id>, one per line (the same key again for
                           each line of one job)
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     consumer     the worker's node id
  ARGV[3..]   2 per line:  attempt, text (at most 1,000 characters: the worker cuts longer ones)
  Returns     one answer per line: 1 recorded, 0 not held anymore (the line is dropped)
]]
local now, consumer = tonumber(ARGV[1]), ARGV[2]
local KEEP = 100
local out, logs, order = {}, {}, {}
for i = 1, #KEYS do
  local key, attempt, text = KEYS[i], ARGV[1 + i * 2], ARGV[2 + i * 2]
  local log = logs[key]
  if log == nil then
    -- A job's record is read once a call, however many of its lines the call carries.
    local job = redis.call('HMGET', key, 'status', 'workedBy', 'attempts', 'log')
    log = { status = job[1], worker = job[2], attempt = job[3] }
    log.lines = job[4] and cjson.decode(job[4]) or {}
    logs[key], order[#order + 1] = log, key
  end
  if log.status == 'pending' and log.worker == consumer and log.attempt == attempt then
    log.lines[#log.lines + 1] = { attempt = tonumber(attempt), at = now, text = text }
    log.changed = true
    out[i] = 1
  else
    out[i] = 0
  end
end
for _, key in ipairs(order) do
  local log = logs[key]
  if log.changed then
    local lines, kept = log.lines, {}
    for n = math.max(1, #lines - KEEP + 1), #lines do kept[#kept + 1] = lines[n] end
    redis.call('HSET', key, 'log', cjson.encode(kept))
  end
end
return out
