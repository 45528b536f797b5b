--[[
  Include: the lease check every leader-only script opens with.
  holdsLease(leaderKey, owner) is true when the lease key sc:{<campaign>}:leader holds exactly the caller's token.
]]
local function holdsLease(leaderKey, owner)
  return redis.call("GET", leaderKey) == owner
end
