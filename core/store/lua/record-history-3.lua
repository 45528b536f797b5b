--[[
  Records one point of the campaign's time series and any milestones first crossed, only while the caller
  holds the aggregator lease. Every write is keyed by time or threshold, so repeating it (a retry, or two
  leaders around a failover) changes nothing: HSET of the same second/minute, HSETNX of a milestone.

  KEYS[1] leader lease key (STRING, owner token)
  KEYS[2] history HASH: s:<unix second> and m:<unix minute start second> -> "<total>,<count>"
  KEYS[3] milestones HASH: <threshold in minor units> -> JSON {threshold, total, count, at, seq}
  ARGV[1] lease owner token
  ARGV[2] value "<total>,<count>" (total in minor units, decimal)
  ARGV[3] second field  ARGV[4] minute field
  ARGV[5] n = number of expired second fields to delete, then ARGV[6 .. 5+n] those fields
  ARGV[6+n ..] pairs of (threshold, milestone JSON) to record if not recorded yet
  Returns: -1 when the caller does not hold the lease; otherwise an array of thresholds recorded by this call.
]]
--- @include "includes/holds-lease"

local leaderKey, historyKey, milestonesKey = KEYS[1], KEYS[2], KEYS[3]
local owner, value, secondField, minuteField = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local deletes = tonumber(ARGV[5])

if not holdsLease(leaderKey, owner) then return -1 end

redis.call("HSET", historyKey, secondField, value, minuteField, value)
for i = 6, 5 + deletes do redis.call("HDEL", historyKey, ARGV[i]) end

local recorded = {}
for i = 6 + deletes, #ARGV, 2 do
  if redis.call("HSETNX", milestonesKey, ARGV[i], ARGV[i + 1]) == 1 then recorded[#recorded + 1] = ARGV[i] end
end
return recorded
