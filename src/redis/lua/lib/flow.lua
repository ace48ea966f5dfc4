-- Prelude of flow-count.lua (prepended at load): a parent counts the final outcome of one of
-- its children (docs/workflows.md).
-- Includes    lib/events.lua
--
-- count_child(parentKey, pid, cid, status, payload, policy, now, deadTtl) records the child's
-- outcome in the parent's record (field `child:<cid>`, HSETNX: a child is counted once however
-- often its completion is delivered), takes it off the parent's `waiting` count, and:
--   - a failed or cancelled child under policy `fail` fails the parent at once (it never runs:
--     a dead letter, final(), so its own parent hears of it in turn): answers 'failed';
--   - the last child counted makes the parent runnable (its stream entry, KEYS[1]), exactly
--     once: answers 'released' (a batch's callback: only once the batch is closed too);
--   - else 'counted'; 'duplicate' when the child was counted already (a child revived and
--     now done replaces its recorded failure, counts unchanged), 'late' when the parent
--     waits no more (final, or revived), 'missing' when the parent's record is gone.
local function count_child(parentKey, pid, cid, status, payload, policy, now, deadTtl)
  local parent = redis.call('HMGET', parentKey, 'status', 'waiting', 'batch')
  if not parent[1] then return 'missing' end
  local entry
  if status == 'done' then
    entry = '{"status":"done","value":' .. payload .. '}'
  else
    entry = cjson.encode({ status = status, error = payload, ignored = (policy == 'ignore') or nil })
  end
  if redis.call('HSETNX', parentKey, 'child:' .. cid, entry) == 0 then
    -- Counted before. A child revived since that is now done replaces its failure in what the
    -- parent reads (a revived parent then sees its value); the counts do not change.
    if status == 'done' then
      local old = redis.call('HGET', parentKey, 'child:' .. cid)
      if string.sub(old, 1, 17) ~= '{"status":"done",' then
        redis.call('HSET', parentKey, 'child:' .. cid, entry)
      end
    end
    return 'duplicate'
  end
  if not parent[2] or parent[1] ~= 'accepted' then return 'late' end
  if status ~= 'done' and policy == 'fail' then
    local why = 'child ' .. cid .. ' ' .. status .. (payload ~= '' and (': ' .. payload) or '')
    redis.call('HSET', parentKey, 'status', 'failed', 'finishedAt', now, 'error', why)
    redis.call('HDEL', parentKey, 'waiting')
    redis.call('EXPIRE', parentKey, deadTtl)
    redis.call('ZADD', KEYS[4], now, pid)
    redis.call('HINCRBY', KEYS[2], 'failed', 1)
    note(parentKey, pid, 'failed', now, { error = why })
    final(parentKey, pid, now)
    return 'failed'
  end
  local waiting = redis.call('HINCRBY', parentKey, 'waiting', -1)
  -- An open batch waits for its close too (batch.lua).
  if waiting > 0 or parent[3] == 'open' then return 'counted' end
  redis.call('HDEL', parentKey, 'waiting')
  redis.call('HSET', parentKey, 'sid', redis.call('XADD', KEYS[1], '*', 'id', pid))
  return 'released'
end
