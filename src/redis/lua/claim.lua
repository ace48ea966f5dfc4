--[[
  claim: read up to count new entries of the queue's stream for a worker and start them, in
  one call: `XREADGROUP ... COUNT count STREAMS <stream> >` without blocking, then what
  start.lua does for each entry. Saves the worker a round trip per batch while the queue has
  work; on an empty queue the worker blocks in XREADGROUP and calls start.lua instead.

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     deadTtlSec   how long a dead letter is kept
  ARGV[5]     count        entries to read at most
  Returns     {read, sid1, id1, data1, attempt1, opts1, sid2, ...}: how many entries were read,
              then 5 values per job the worker must run (status now `pending`, attempts
              incremented, workedBy = consumer). Entries that must not run (see start.lua) are
              acknowledged and deleted and left out. The job hashes are reached as siblings of
              the stream key, `<prefix>:{<queue>}:job:<id>` (same hash slot).
]]
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local done_sids = {}
local reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', tonumber(ARGV[5]),
  'STREAMS', KEYS[1], '>')
local entries = reply and reply[1][2] or {}
local jobPrefix = string.gsub(KEYS[1], ':stream$', ':job:')
local out, failed = { #entries }, 0
for _, entry in ipairs(entries) do
  local sid, fields = entry[1], entry[2]
  local id = fields[1] == 'id' and fields[2] or nil
  local run, poison = nil, false
  if id then run, poison = start_entry(jobPrefix .. id, sid, id, now, consumer, deadTtl) end
  if poison then failed = failed + 1 end
  if run then
    out[#out + 1] = sid
    out[#out + 1] = id
    out[#out + 1] = run[1]
    out[#out + 1] = run[2]
    out[#out + 1] = run[3]
  else
    done_sids[#done_sids + 1] = sid
  end
end
if failed > 0 then redis.call('HINCRBY', KEYS[2], 'failed', failed) end
remove_entries(group, done_sids)
publish()
return out
