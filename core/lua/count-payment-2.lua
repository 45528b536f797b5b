--[[
  Counts one payment or refund exactly once, atomically.

  KEYS[1]  seen key      sc:{<campaign>:<shard>}:seen:<paymentId>  dedupe mark (STRING)
  KEYS[2]  counters key  sc:{<campaign>:<shard>}:c                 shard counters (HASH)
  Both keys carry the same hash tag, so the script runs on Redis Cluster.

  ARGV[1]  amount              positive integer, minor units (decimal string, at most 10^12)
  ARGV[2]  kind                "payment" or "refund"
  ARGV[3]  dedupe TTL          seconds the paymentId stays remembered
  ARGV[4]  channel             dimension for breakdowns, "" for none
  ARGV[5]  category            dimension for breakdowns, "" for none

  Returns
   1  counted
   0  duplicate: this paymentId was counted before with the same signed amount; nothing changes
  -1  conflict: this paymentId was counted before with a different amount or kind; nothing changes

  Counter fields: net (payments minus refunds), gross, count (payments), refunded, refunds (count),
  dups, and per dimension ch:<name>:a / ch:<name>:n, cat:<name>:a / cat:<name>:n (amounts are net).
  Amounts stay decimal strings: Lua numbers are doubles and lose precision past 2^53.
]]
local seenKey = KEYS[1]
local countersKey = KEYS[2]
local amount = ARGV[1]
local kind = ARGV[2]
local dedupeTtlSeconds = ARGV[3]
local channel = ARGV[4]
local category = ARGV[5]

local isRefund = kind == "refund"
local signedAmount = amount
if isRefund then
  signedAmount = "-" .. amount
end

if not redis.call("SET", seenKey, signedAmount, "NX", "EX", dedupeTtlSeconds) then
  redis.call("HINCRBY", countersKey, "dups", 1)
  if redis.call("GET", seenKey) ~= signedAmount then
    return -1
  end
  return 0
end

redis.call("HINCRBY", countersKey, "net", signedAmount)
if isRefund then
  redis.call("HINCRBY", countersKey, "refunded", amount)
  redis.call("HINCRBY", countersKey, "refunds", 1)
else
  redis.call("HINCRBY", countersKey, "gross", amount)
  redis.call("HINCRBY", countersKey, "count", 1)
end

if channel ~= "" then
  redis.call("HINCRBY", countersKey, "ch:" .. channel .. ":a", signedAmount)
  if not isRefund then
    redis.call("HINCRBY", countersKey, "ch:" .. channel .. ":n", 1)
  end
end
if category ~= "" then
  redis.call("HINCRBY", countersKey, "cat:" .. category .. ":a", signedAmount)
  if not isRefund then
    redis.call("HINCRBY", countersKey, "cat:" .. category .. ":n", 1)
  end
end
return 1
