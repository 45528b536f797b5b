--[[
  Counts one payment or refund exactly once, atomically: the one-event form of count-payments-n.lua, with the same
  counting body (includes/count-group.lua), marks and fields. Not on the write path (ingest sends batches); it is
  the reference the tests and benchmarks compare the batch script and redis-benchmark's ceiling against, so it is
  registered only by registerReferenceScripts().

  KEYS[1]  seen key      sc:{<campaign>:<shard>}:seen:<paymentId>  dedupe mark (STRING)
  KEYS[2]  counters key  sc:{<campaign>:<shard>}:c                 shard counters (HASH)
  Both keys carry the same hash tag, so the script runs on Redis Cluster.

  ARGV[1]  amount              positive integer, minor units (decimal string, at most 10^12)
  ARGV[2]  kind                "payment" or "refund"
  ARGV[3]  dedupe TTL          seconds the paymentId stays remembered
  ARGV[4]  channel             dimension for breakdowns, "" for none
  ARGV[5]  category            dimension for breakdowns, "" for none

  Returns 1 counted, 0 duplicate (same signed amount), -1 conflict (different amount or kind).
]]
--- @include "includes/count-group"

local seenKey = KEYS[1]
local countersKey = KEYS[2]
local amount = ARGV[1]
local kind = ARGV[2]
local dedupeTtlSeconds = ARGV[3]

local signed = amount
if kind == "refund" then
  signed = "-" .. amount
end
local event = { seen = seenKey, signed = signed, amount = tonumber(signed), channel = ARGV[4], category = ARGV[5] }
return countGroup(countersKey, dedupeTtlSeconds, { event })[1]
