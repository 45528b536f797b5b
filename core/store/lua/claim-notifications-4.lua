--[[
  Claims the due notifications of one delivery target for the lease holder: each claimed entry is moved to
  the end of its claim (like an SQS visibility timeout), so a standby that takes over sees it again only if
  this claimer died mid-delivery; its attempt count and time are recorded and it stays in the outbox until
  settle-notification-2.lua removes it after a success.

  KEYS[1] leader lease key        KEYS[2] outbox ZSET of the target: <threshold> scored by due time (ms)
  KEYS[3] notifications HASH      KEYS[4] milestones HASH (the payload of each claimed notification)
  ARGV[1] lease owner token  ARGV[2] target  ARGV[3] now (unix ms)  ARGV[4] claim end (unix ms)
  ARGV[5] at most this many  ARGV[6] now (ISO-8601)
  Returns -1 when the caller does not hold the lease; otherwise
  { entries in the target's outbox, then per claimed entry: threshold, attempt number, milestone JSON or "" }.
]]
--- @include "includes/holds-lease"

local leaderKey, outboxKey, notificationsKey, milestonesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, target, nowMs, claimUntilMs, limit, nowIso = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

if not holdsLease(leaderKey, owner) then return -1 end

local out = { redis.call("ZCARD", outboxKey) }
local due = redis.call("ZRANGEBYSCORE", outboxKey, "-inf", nowMs, "LIMIT", 0, limit)
for _, threshold in ipairs(due) do
  local field = target .. ":" .. threshold
  local raw = redis.call("HGET", notificationsKey, field)
  local state = raw and cjson.decode(raw) or { state = "pending", attempts = 0, failures = 0 }
  state.attempts = (tonumber(state.attempts) or 0) + 1
  state.lastAttemptAt = nowIso
  state.nextAttemptAt = nil
  state.claimedBy = owner
  redis.call("HSET", notificationsKey, field, cjson.encode(state))
  redis.call("ZADD", outboxKey, "XX", claimUntilMs, threshold)
  out[#out + 1] = threshold
  out[#out + 1] = state.attempts
  out[#out + 1] = redis.call("HGET", milestonesKey, threshold) or ""
end
return out
