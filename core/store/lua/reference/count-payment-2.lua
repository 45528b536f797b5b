--[[
  Counts one payment or refund exactly once, atomically: the one-event form of count-payments-n.lua, with the same
  counting body (includes/count-group.lua), marks, fields and rebuild fence. Not on the write path (ingest sends
  batches); it is the reference the tests and benchmarks compare the batch script and redis-benchmark's ceiling
  against, so it is registered only by registerReferenceScripts().

  KEYS[1]  seen key      sc:{<campaign>:<shard>}:seen:<paymentId>  dedupe mark (STRING)
  KEYS[2]  counters key  sc:{<campaign>:<shard>}:c                 shard counters (HASH)
  Both keys carry the same hash tag, so the script runs on Redis Cluster.

  ARGV[1]  amount              positive integer, minor units (decimal string, at most 10^12)
  ARGV[2]  kind                "payment" or "refund"
  ARGV[3]  dedupe TTL          seconds the paymentId stays remembered
  ARGV[4]  channel             dimension for breakdowns, "" for none
  ARGV[5]  category            dimension for breakdowns, "" for none
  ARGV[6]  attempt token       optional: written into the mark after ":" (see countGroup)
  ARGV[7]  fence pass          optional: "" for ingest, the rebuild's token while it replays

  Returns 1 counted, 2 counted before by this attempt, 0 duplicate (same signed amount), -1 conflict (different
  amount or kind); a fenced shard refuses with "REBUILDING ...".
]]
--- @include "includes/count-group"

local amount = ARGV[1]
local kind = ARGV[2]
local dedupeTtlSeconds = ARGV[3]
local attempt = ARGV[6] or ""

local refusal = fenceRefusal(KEYS[2], ARGV[7] or "")
if refusal then
  return refusal
end
local signed = amount
if kind == "refund" then
  signed = "-" .. amount
end
local mark = signed
if attempt ~= "" then
  mark = signed .. ":" .. attempt
end
-- One event, read in place: its dedupe key is KEYS[1]; ARGV[3] (the TTL, read above) becomes its mark, so
-- ARGV[3..5] are its values (mark, channel, category).
ARGV[3] = mark
local results = {}
countGroup(results, KEYS[2], dedupeTtlSeconds, KEYS, 0, ARGV, 2, { tonumber(signed) }, 1, 1)
return results[1]
