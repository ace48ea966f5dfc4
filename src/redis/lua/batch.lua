--[[
  batch: open a batch, add jobs to it, or close it (docs/workflows.md, "Batches"). A batch is
  its callback job: a parent (lib/flow.lua) whose children are the batch's jobs, each with
  policy `continue`, and which runs once the batch is closed and every job in it is final.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<callback's queue>}
  KEYS[5]     job          <prefix>:{<queue>}:job:<callback id>
  ARGV[1]     op           `open` (the callback's record is written, staged: mark it an open
                           batch waiting for nothing yet), `add` (ARGV[2..]: the callback ids
                           of jobs staged as its children, before they are committed) or
                           `close`
  Returns     open: 1, or 0 when the record is gone; add: 1 added, 0 refused (the batch is
              closed, or gone); close: 1 closed now (the callback is released if every job
              is final: it then has its stream entry), 0 closed before, -1 no such batch
]]
local op, key = ARGV[1], KEYS[5]
local batch = redis.call('HMGET', key, 'batch', 'waiting', 'status', 'sid', 'children')
if not batch[3] then return op == 'close' and -1 or 0 end
if op == 'open' then
  redis.call('HSET', key, 'batch', 'open', 'waiting', 0, 'children', '[]')
  return 1
end
if batch[1] ~= 'open' then return 0 end
if op == 'add' then
  local ids = {}
  for i = 2, #ARGV do ids[#ids + 1] = cjson.encode(ARGV[i]) end
  local list = batch[5] or '[]'
  list = (list == '[]') and ('[' .. table.concat(ids, ',') .. ']')
    or (string.sub(list, 1, -2) .. ',' .. table.concat(ids, ',') .. ']')
  redis.call('HSET', key, 'children', list)
  redis.call('HINCRBY', key, 'waiting', #ARGV - 1)
  return 1
end
-- close
redis.call('HSET', key, 'batch', 'closed')
if tonumber(batch[2] or '0') <= 0 and batch[3] == 'accepted' and not batch[4] then
  redis.call('HDEL', key, 'waiting')
  redis.call('HSET', key, 'sid', redis.call('XADD', KEYS[1], '*', 'id', ARGV[2] or ''))
end
return 1
