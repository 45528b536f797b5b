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

local amount = ARGV[1]
local kind = ARGV[2]
local dedupeTtlSeconds = ARGV[3]

local signed = amount
if kind == "refund" then
  signed = "-" .. amount
end
-- One event, read in place: its dedupe key is KEYS[1]; ARGV[3] (the TTL, read above) becomes its signed amount, so
-- ARGV[3..5] are its values (signed amount, channel, category).
ARGV[3] = signed
local results = {}
countGroup(results, KEYS[2], dedupeTtlSeconds, KEYS, 0, ARGV, 2, { tonumber(signed) }, 1, 1)
return results[1]
