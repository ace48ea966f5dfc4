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
local out = {}
for i = 1, #KEYS do
  local attempt, text = ARGV[1 + i * 2], ARGV[2 + i * 2]
  local job = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts', 'log')
  if job[1] == 'pending' and job[2] == consumer and job[3] == attempt then
    local lines = job[4] and cjson.decode(job[4]) or {}
    lines[#lines + 1] = { attempt = tonumber(attempt), at = now, text = text }
    while #lines > KEEP do table.remove(lines, 1) end
    redis.call('HSET', KEYS[i], 'log', cjson.encode(lines))
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
