--[[
  Records one point of the campaign's time series and any milestones first crossed, only while the caller
  holds the aggregator lease, and for each milestone recorded now a pending notification per delivery target
  (the outbox), in the same atomic step: a milestone is never recorded without its notifications, nor the
  reverse. Every write is keyed by time or threshold, so repeating it (a retry, or two leaders around a
  failover) changes nothing: HSET of the same second/minute, HSETNX of a milestone, and the outbox entries
  only together with a milestone this call recorded.

  KEYS[1] leader lease key (STRING, owner token)
  KEYS[2] history HASH: s:<unix second> and m:<unix minute start second> -> "<total>,<count>"
  KEYS[3] milestones HASH: <threshold in minor units> -> milestone JSON
  KEYS[4] notifications HASH: <target>:<threshold> -> delivery state JSON
  KEYS[5 .. 4+t] outbox ZSET of each target, in ARGV's target order: <threshold> scored by when it is due (ms)
  ARGV[1] lease owner token
  ARGV[2] value "<total>,<count>" (total in minor units, decimal)
  ARGV[3] second field  ARGV[4] minute field
  ARGV[5] n = number of expired second fields to delete, then ARGV[6 .. 5+n] those fields
  ARGV[6+n] t = number of delivery targets, then their names
  then: due time (unix ms) and the pending state JSON of a new notification
  then: pairs of (threshold, milestone JSON) to record if not recorded yet
  Returns: -1 when the caller does not hold the lease; otherwise an array of thresholds recorded by this call.
]]
--- @include "includes/holds-lease"

local leaderKey, historyKey, milestonesKey, notificationsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, value, secondField, minuteField = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local deletes = tonumber(ARGV[5])

if not holdsLease(leaderKey, owner) then return -1 end

redis.call("HSET", historyKey, secondField, value, minuteField, value)
for i = 6, 5 + deletes do redis.call("HDEL", historyKey, ARGV[i]) end

local at = 6 + deletes
local targets = tonumber(ARGV[at])
local dueMs, pending = ARGV[at + targets + 1], ARGV[at + targets + 2]

local recorded = {}
for i = at + targets + 3, #ARGV, 2 do
  local threshold = ARGV[i]
  if redis.call("HSETNX", milestonesKey, threshold, ARGV[i + 1]) == 1 then
    recorded[#recorded + 1] = threshold
    for t = 1, targets do
      redis.call("HSET", notificationsKey, ARGV[at + t] .. ":" .. threshold, pending)
      redis.call("ZADD", KEYS[4 + t], dueMs, threshold)
    end
  end
end
return recorded
