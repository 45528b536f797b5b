--[[
  Settles one delivery attempt of a notification. "delivered": the entry leaves the outbox and its state says
  so (whoever delivered it: a success is a fact even after the lease moved). "failed": the entry is due again
  at the given time, but only while the caller's claim is the current one, so a deposed leader's late failure
  cannot pull forward a retry the new leader has claimed.

  KEYS[1] outbox ZSET of the target   KEYS[2] notifications HASH
  ARGV[1] target  ARGV[2] threshold  ARGV[3] "delivered" or "failed"  ARGV[4] claimer (lease owner token)
  ARGV[5] attempt number of the claim  ARGV[6] now (ISO-8601)  ARGV[7] next due time (unix ms)
  ARGV[8] next due time (ISO-8601)  ARGV[9] error message
  Returns 1 when the state changed, 0 when there was nothing to settle.
]]
local outboxKey, notificationsKey = KEYS[1], KEYS[2]
local target, threshold, outcome, claimer, attempt = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local nowIso, nextMs, nextIso, message = ARGV[6], ARGV[7], ARGV[8], ARGV[9]

local field = target .. ":" .. threshold
local raw = redis.call("HGET", notificationsKey, field)
if not raw then return 0 end
local state = cjson.decode(raw)
if state.state == "delivered" then
  redis.call("ZREM", outboxKey, threshold)
  return 0
end

if outcome == "delivered" then
  redis.call("ZREM", outboxKey, threshold)
  state.state = "delivered"
  state.deliveredAt = nowIso
else
  if state.claimedBy ~= claimer or tonumber(state.attempts) ~= attempt then return 0 end
  state.failures = (tonumber(state.failures) or 0) + 1
  state.lastError = message
  state.nextAttemptAt = nextIso
  redis.call("ZADD", outboxKey, "XX", nextMs, threshold)
end
state.claimedBy = nil
redis.call("HSET", notificationsKey, field, cjson.encode(state))
return 1
