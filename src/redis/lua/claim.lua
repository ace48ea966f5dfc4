--[[
  claim: read up to count new entries of the queue's stream for a worker and start them, in
  one call: `XREADGROUP ... COUNT count STREAMS <stream> >` without blocking, then what
  start.lua does for each entry. Saves the worker a round trip per batch while the queue has
  work. On an empty queue a worker waits (below), or blocks in XREADGROUP and calls start.lua.

  Includes    lib/events.lua, lib/start-entry.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     controls     <prefix>:{<queue>}:controls
  KEYS[6]     webhooks     <prefix>:{<queue>}:webhooks
  KEYS[7]     notify       <prefix>:{<queue>}:notify      (lib/events.lua final())
  ARGV[1]     now          milliseconds since the epoch; 0: Redis' clock (TIME), for a claim
                           sent ahead of time to run when a wait ends
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     deadTtlSec   how long a dead letter is kept
  ARGV[5]     count        entries to read at most
  ARGV[6]     maxRecoveries takeovers of an unfinished attempt a job may have and still run
  ARGV[7]     check        '1': answer {-1, ''} when the queue is gated (controls `gated`);
                           '0': the worker looked less than a quarter second ago (below)
  Returns     {read, lastId, sid1, id1, data1, attempt1, opts1, sid2, ...}: how many entries
              were read; when fewer than count (the queue is now empty), the id of the newest
              entry in the stream ('0-0' when none; '' when read = count); then 5 values per job
              the worker must run (status now `pending`, attempts incremented, workedBy =
              consumer). Entries that must not run (see start.lua) are acknowledged and deleted
              and left out. The job hashes are reached as siblings of the stream key,
              `<prefix>:{<queue>}:job:<id>` (same hash slot), not passed in KEYS: the ids are
              known only once read. So claim.lua is for a single Redis only; on a Redis
              Cluster, where a migrating slot can stop a script at an undeclared key, workers
              read with XREADGROUP and start with start.lua (every key declared).

  An entry that carries its job's data (`d`, a carried entry: docs/protocol.md) is started
  from a read of two fields, `ev` and `sid`, when they say nothing happened to the job since it
  was accepted and the entry is its current one; every other entry as start.lua does.

  A worker that found the queue empty waits with `XREAD COUNT 1 BLOCK <ms> STREAMS <stream>
  <lastId>` (an entry added since this call ends the wait at once) and sends its next claim on
  the same connection right behind it: Redis runs that claim as soon as the wait returns.

  A worker looks at `gated` on its first claim, on every claim sent behind a wait, and then at
  most every 250 ms while it claims without a wait (StreamConsumer): a plain job pays no
  controls read per claim call. A queue gated meanwhile (paused, limited) may so see up to a
  quarter second of claims of the stream's entries; start.lua's and gate.lua's rules are
  unchanged.
]]
if ARGV[7] == '1' and redis.call('HGET', KEYS[5], 'gated') == '1' then return { -1, '' } end
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local maxRecoveries = tonumber(ARGV[6])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local done_sids = {}
local reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', tonumber(ARGV[5]),
  'STREAMS', KEYS[1], '>')
local entries = reply and reply[1][2] or {}
local jobPrefix = string.gsub(KEYS[1], ':stream$', ':job:')
local lastId = ''
if #entries > 0 and #entries < tonumber(ARGV[5]) then
  -- Fewer than asked: the read reached the stream's end, so its last entry is the newest.
  lastId = entries[#entries][1]
elseif #entries == 0 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  lastId = newest[1] and newest[1][1] or '0-0'
end
local out = { #entries, lastId }
for _, entry in ipairs(entries) do
  local sid, fields = entry[1], entry[2]
  local id = fields[1] == 'id' and fields[2] or nil
  local run
  if id and fields[3] == 'd' then
    run = start_carried(jobPrefix .. id, sid, id, fields[4], fields[6], now, consumer, deadTtl,
      maxRecoveries)
  elseif id then
    run = start_entry(jobPrefix .. id, sid, id, now, consumer, deadTtl, maxRecoveries)
  end
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
remove_entries(group, done_sids)
publish()
return out
