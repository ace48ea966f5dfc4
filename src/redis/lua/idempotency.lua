--[[
  idempotency: the job an idempotency key names, recorded on first use, so the same key names
  the same job whatever the deployment does meanwhile (partition count, tokens on or off).

  KEYS[1]     key          <prefix>:{<type>}:idem:<digest of the key>
  ARGV[1]     tenant       the caller's tenant ('' without tokens)
  ARGV[2]     id           the callback id a new job would get
  ARGV[3]     fingerprint  digest of the job's type and data
  ARGV[4]     ttlSec       how long the key is remembered
  Returns     false when the key is new (now recorded for ARGV[2]), else the recorded
              `<id> <fingerprint>`: the tenant's own, else (tokens turned on since) the one
              recorded without a tenant, else (tokens turned off since) the only one recorded
]]
local tenant = ARGV[1]
local recorded = redis.call('HGET', KEYS[1], tenant)
if not recorded and tenant ~= '' then recorded = redis.call('HGET', KEYS[1], '') end
if not recorded and tenant == '' then
  local all = redis.call('HGETALL', KEYS[1])
  if #all == 2 then recorded = all[2] end
end
if recorded then return recorded end
redis.call('HSET', KEYS[1], tenant, ARGV[2] .. ' ' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return false
