--[[
  Acquires or renews the aggregator lease.

  KEYS[1]  leader key   sc:{<campaign>}:leader  (STRING, owner token)
  ARGV[1]  owner        token of the caller
  ARGV[2]  ttl          lease length in milliseconds

  Returns 1 if the caller holds the lease now (newly acquired or renewed), 0 if another owner does.
]]
local leaderKey = KEYS[1]
local owner = ARGV[1]
local leaseMs = ARGV[2]

local current = redis.call("GET", leaderKey)
if current == owner then
  redis.call("PEXPIRE", leaderKey, leaseMs)
  return 1
end
if not current then
  redis.call("SET", leaderKey, owner, "PX", leaseMs)
  return 1
end
return 0
