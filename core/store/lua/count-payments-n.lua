--[[
  Counts a batch of payments and refunds exactly once, atomically, in one call instead of one call per event.

  The events come in groups, one group per shard counters hash. On Redis Cluster a call carries one
  group (every key shares the shard's hash tag {<campaign>:<shard>}); on standalone Redis one call may
  carry every shard.

  KEYS[1..g]        counters keys  sc:{<campaign>:<shard>}:c             one per group (HASH)
  KEYS[g+1..g+n]    seen keys      sc:{<campaign>:<shard>}:seen:<id>    one per event, group by group, in order
  ARGV[1]           dedupe TTL, seconds
  ARGV[2]           g, the number of groups
  ARGV[3]           fence pass: "" for ingest; the rebuild's token while it replays the export
  ARGV[4..g+3]      events in each group (they add up to n, at most 4096)
  then 3 values per event, in the order of the seen keys:
    mark            the signed amount in minor units as a decimal string, negative for a refund ("-700"),
                    1 <= |amount| <= 10^12, optionally followed by ":<attempt token>" (see countGroup)
    channel         dimension for breakdowns, "" for none
    category        dimension for breakdowns, "" for none

  Returns one integer per event, in the order of the seen keys (see countGroup): 1 counted, 2 counted before by
  this attempt, 0 duplicate, -1 conflict. The arguments and the shards' rebuild fences are checked before anything
  is written, because Redis does not roll back a script that fails half-way: a fenced shard refuses the whole call
  with "REBUILDING ..." (retryable: nothing was counted).
]]
--- @include "includes/count-group"

local maxEvents = 4096
local maxAmount = 1e12

local ttl = ARGV[1]
local groups = tonumber(ARGV[2])
if not groups or groups < 1 or groups ~= math.floor(groups) or groups > #KEYS then
  return redis.error_reply("ERR count-payments: bad group count " .. tostring(ARGV[2]))
end
local pass = ARGV[3]
local n = #KEYS - groups
if n > maxEvents then
  return redis.error_reply("ERR count-payments: at most " .. maxEvents .. " events per call, got " .. n)
end
local first = groups + 3 -- ARGV index before the first event's values
if #ARGV ~= first + 3 * n then
  return redis.error_reply("ERR count-payments: expected " .. (first + 3 * n) .. " arguments, got " .. #ARGV)
end
local inGroups = 0
for g = 1, groups do
  local size = tonumber(ARGV[3 + g])
  if not size or size < 1 or size ~= math.floor(size) then
    return redis.error_reply("ERR count-payments: bad group size " .. tostring(ARGV[3 + g]))
  end
  inGroups = inGroups + size
end
if inGroups ~= n then
  return redis.error_reply("ERR count-payments: group sizes add up to " .. inGroups .. ", not " .. n)
end
local amounts = {}
for i = 1, n do
  local raw = markAmount(ARGV[first + 3 * i - 2])
  local a = tonumber(raw)
  if not a or a == 0 or a ~= math.floor(a) or a > maxAmount or a < -maxAmount then
    return redis.error_reply("ERR count-payments: bad amount " .. tostring(raw))
  end
  amounts[i] = a
end
for g = 1, groups do
  local refusal = fenceRefusal(KEYS[g], pass)
  if refusal then
    return refusal
  end
end

-- Event i's dedupe key is KEYS[groups + i] and its values start after ARGV[first + 3 * (i - 1)].
local results = {}
local done = 0
for g = 1, groups do
  local size = tonumber(ARGV[3 + g])
  countGroup(results, KEYS[g], ttl, KEYS, groups, ARGV, first, amounts, done + 1, size)
  done = done + size
end
return results
