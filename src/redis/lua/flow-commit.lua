--[[
  flow-commit: make the staged nodes of one queue permanent (flow-stage): leaves get their
  stream entry (they can run from now on), parents lose their expiry. The submitter commits
  every leaf first, then the parents from the deepest level up, so a submit that dies midway
  never leaves a parent that outlives a child it waits for: what was not committed expires.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per node, in ARGV order
  ARGV[1..]   2 per node:  id, leaf (1: a leaf, 0: a parent)
  Returns     one answer per node: 1 committed (or committed before), 0 its record is gone
              (the stage expired)
]]
local out = {}
for i = 5, #KEYS do
  local a = 1 + (i - 5) * 2
  local job = redis.call('HMGET', KEYS[i], 'status', 'sid')
  if not job[1] then
    out[#out + 1] = 0
  else
    -- A final record keeps the expiry its final state gave it.
    if job[1] == 'accepted' or job[1] == 'pending' then redis.call('PERSIST', KEYS[i]) end
    if ARGV[a + 1] == '1' and job[1] == 'accepted' and not job[2] then
      redis.call('HSET', KEYS[i], 'sid', redis.call('XADD', KEYS[1], '*', 'id', ARGV[a]))
    end
    out[#out + 1] = 1
  end
end
return out
