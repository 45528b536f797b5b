--[[
  Releases the aggregator lease if the caller holds it, so a standby takes over at once.

  KEYS[1]  leader key   sc:{<campaign>}:leader  (STRING, owner token)
  ARGV[1]  owner        token of the caller

  Returns 1 if released, 0 if the caller did not hold it.
]]
local leaderKey = KEYS[1]
local owner = ARGV[1]

if redis.call("GET", leaderKey) == owner then
  redis.call("DEL", leaderKey)
  return 1
end
return 0
