-- Prelude of the scripts that answer each item of a batch on its own (each names it in its
-- header's Includes row): one item's bad input fails that item alone, never its batch-mates
-- (docs/protocol.md, "Batches").
--
-- A script runs each item in a function under pcall and answers, in that item's place, what
-- the function returned, or item_error(e) when it raised: an error reply inside the array
-- reply (`-WM_ERR_JOB_ITEM_REFUSED <why>`), which clients read as that item's error. Each item
-- checks its input before its first write, so a refused item writes nothing, and the items
-- before and after it are written and published as usual.
--
-- An error of Redis' own state (out of memory, a read-only replica, a failover, a busy or
-- loading server) is not the item's fault: it is raised again, so the whole call fails as it
-- would without the pcall and the caller sees the Redis error (503 WM_ERR_REDIS_FULL or
-- WM_ERR_REDIS_UNAVAILABLE), never a 400 for the item.
local server_states = { OOM = true, READONLY = true, MASTERDOWN = true, LOADING = true, BUSY = true,
  MISCONF = true, NOREPLICAS = true, CLUSTERDOWN = true, TRYAGAIN = true }

local function item_error(e)
  if type(e) == 'table' then e = e.err end
  if server_states[string.match(tostring(e), '^(%u+) ')] then error(e, 0) end
  return { err = 'WM_ERR_JOB_ITEM_REFUSED ' .. string.gsub(tostring(e), '^user_script:%d+: ', '') }
end

-- A stream entry id as Redis writes it (`<ms>-<seq>`); anything else would make the
-- script's XACK or XDEL fail for the whole batch.
local function check_sid(sid)
  if not string.match(sid, '^%d+%-%d+$') then error('malformed stream entry id ' .. sid, 0) end
end

-- A number argument (not NaN, which tonumber accepts and ZADD refuses).
local function check_number(value, name)
  local n = tonumber(value)
  if not n or n ~= n then error(name .. ' is not a number: ' .. tostring(value), 0) end
  return n
end
