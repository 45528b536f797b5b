--[[
  Counts a batch of payments and refunds exactly once, atomically: the batch form of count-payment-2.lua,
  with the same outcomes, dedupe marks and counter fields, in one call instead of one call per event.

  The events come in groups, one group per shard counters hash. On Redis Cluster a call carries one
  group (every key shares the shard's hash tag {<campaign>:<shard>}); on standalone Redis one call may
  carry every shard.

  KEYS[1..g]        counters keys  sc:{<campaign>:<shard>}:c             one per group (HASH)
  KEYS[g+1..g+n]    seen keys      sc:{<campaign>:<shard>}:seen:<id>    one per event, group by group, in order
  ARGV[1]           dedupe TTL, seconds
  ARGV[2]           g, the number of groups
  ARGV[3..g+2]      events in each group (they add up to n, at most 4096)
  then 3 values per event, in the order of the seen keys:
    signed amount   minor units as a decimal string, negative for a refund ("-700"); 1 <= |amount| <= 10^12
    channel         dimension for breakdowns, "" for none
    category        dimension for breakdowns, "" for none

  Returns one integer per event, in the order of the seen keys:
   1  counted
   0  duplicate: this paymentId was counted before with the same signed amount; nothing changes
  -1  conflict: this paymentId was counted before with a different amount or kind; nothing changes
  An id repeated inside the batch is a duplicate (or conflict) of its first occurrence.

  Sums are exact: Lua numbers are doubles, exact up to 2^53 (about 9 * 10^15), and a group adds at most
  4096 amounts of at most 10^12 (4.1 * 10^15). The arguments are checked before anything is written,
  because Redis does not roll back a script that fails half-way.
]]
local maxEvents = 4096
local maxAmount = 1e12

local ttl = ARGV[1]
local groups = tonumber(ARGV[2])
if not groups or groups < 1 or groups ~= math.floor(groups) or groups > #KEYS then
  return redis.error_reply("ERR count-payments: bad group count " .. tostring(ARGV[2]))
end
local n = #KEYS - groups
if n > maxEvents then
  return redis.error_reply("ERR count-payments: at most " .. maxEvents .. " events per call, got " .. n)
end
local first = groups + 2 -- ARGV index before the first event's values
if #ARGV ~= first + 3 * n then
  return redis.error_reply("ERR count-payments: expected " .. (first + 3 * n) .. " arguments, got " .. #ARGV)
end
local inGroups = 0
for g = 1, groups do
  local size = tonumber(ARGV[2 + g])
  if not size or size < 1 or size ~= math.floor(size) then
    return redis.error_reply("ERR count-payments: bad group size " .. tostring(ARGV[2 + g]))
  end
  inGroups = inGroups + size
end
if inGroups ~= n then
  return redis.error_reply("ERR count-payments: group sizes add up to " .. inGroups .. ", not " .. n)
end
local amounts = {}
for i = 1, n do
  local a = tonumber(ARGV[first + 3 * i - 2])
  if not a or a == 0 or a ~= math.floor(a) or a > maxAmount or a < -maxAmount then
    return redis.error_reply("ERR count-payments: bad amount " .. tostring(ARGV[first + 3 * i - 2]))
  end
  amounts[i] = a
end

-- Whole numbers below 2^53 print exactly with %.0f; a zero sum adds nothing (and "-0" is no integer to HINCRBY).
local function add(key, field, sum)
  if sum ~= 0 then
    redis.call("HINCRBY", key, field, string.format("%.0f", sum))
  end
end

local results = {}
local event = 0
for g = 1, groups do
  local counters = KEYS[g]
  local net, gross, count, refunded, refunds, dups = 0, 0, 0, 0, 0, 0
  local channelAmount, channelCount, categoryAmount, categoryCount = {}, {}, {}, {}
  for _ = 1, tonumber(ARGV[2 + g]) do
    event = event + 1
    local seenKey = KEYS[groups + event]
    local at = first + 3 * event
    local signedAmount = ARGV[at - 2]
    if redis.call("SET", seenKey, signedAmount, "NX", "EX", ttl) then
      local a = amounts[event]
      local isRefund = a < 0
      net = net + a
      if isRefund then
        refunded = refunded - a
        refunds = refunds + 1
      else
        gross = gross + a
        count = count + 1
      end
      local channel = ARGV[at - 1]
      if channel ~= "" then
        channelAmount[channel] = (channelAmount[channel] or 0) + a
        if not isRefund then
          channelCount[channel] = (channelCount[channel] or 0) + 1
        end
      end
      local category = ARGV[at]
      if category ~= "" then
        categoryAmount[category] = (categoryAmount[category] or 0) + a
        if not isRefund then
          categoryCount[category] = (categoryCount[category] or 0) + 1
        end
      end
      results[event] = 1
    else
      dups = dups + 1
      if redis.call("GET", seenKey) ~= signedAmount then
        results[event] = -1
      else
        results[event] = 0
      end
    end
  end
  add(counters, "net", net)
  add(counters, "gross", gross)
  add(counters, "count", count)
  add(counters, "refunded", refunded)
  add(counters, "refunds", refunds)
  add(counters, "dups", dups)
  for name, sum in pairs(channelAmount) do
    add(counters, "ch:" .. name .. ":a", sum)
  end
  for name, sum in pairs(channelCount) do
    add(counters, "ch:" .. name .. ":n", sum)
  end
  for name, sum in pairs(categoryAmount) do
    add(counters, "cat:" .. name .. ":a", sum)
  end
  for name, sum in pairs(categoryCount) do
    add(counters, "cat:" .. name .. ":n", sum)
  end
end
return results
